/// A private single-node Slurm cluster for the tests: Debian's slurm-wlm and munge (installed
/// when absent), munged, slurmctld and slurmd started by hand on loopback ports with a generated
/// slurm.conf in a temp folder, stopped at the end by the pids in their pid files.
module NotebookSlm.Tests.Sweeps.PrivateSlurm

open System
open System.IO
open NotebookSlm.Runtime

let private run (file: string) (args: string list) =
    let r = ProcessRunner.Run(file, args, null, null, TimeSpan.FromSeconds 60.0)
    r.ExitCode, r.Stdout.Trim(), r.Stderr.Trim()

/// Why a cluster cannot be started here, or None when it can: daemons need root (and under
/// CI=true the tests run whatever this says, so that a broken setup fails loudly).
let unavailable () =
    let _, uid, _ = run "id" [ "-u" ]
    if uid <> "0" then Some $"the Slurm daemons need root (uid {uid}); run the tests as root or with CI=true to require them" else None

/// Whether a process runs (a zombie left to an init that does not reap counts as gone).
let alive (pid: int) =
    let stat = $"/proc/{pid}/stat"
    File.Exists stat && (let fields = File.ReadAllText(stat).Split(") ") in fields.Length > 1 && not (fields[1].StartsWith "Z"))

type Cluster(dir: string, conf: string, startedMunge: bool) =
    member _.Dir = dir
    member _.Conf = conf
    member _.Partition = "debug"
    interface IDisposable with
        member _.Dispose() =
            // SIGTERM (slurmctld saves its state), then up to 15 s to go, then SIGKILL.
            let stop (pidFile: string) =
                if File.Exists pidFile then
                    match Int32.TryParse(File.ReadAllText(pidFile).Trim()) with
                    | true, pid ->
                        run "kill" [ "-TERM"; string pid ] |> ignore
                        let deadline = DateTime.UtcNow.AddSeconds 15.0
                        while alive pid && DateTime.UtcNow < deadline do Threading.Thread.Sleep 100
                        if alive pid then run "kill" [ "-KILL"; string pid ] |> ignore
                    | _ -> ()
            stop (Path.Combine(dir, "slurmd.pid"))
            stop (Path.Combine(dir, "slurmctld.pid"))
            if startedMunge then stop "/run/munge/munged.pid"
            Environment.SetEnvironmentVariable("SLURM_CONF", null)

let private memoryMiB () =
    let line = File.ReadLines "/proc/meminfo" |> Seq.find (fun l -> l.StartsWith "MemTotal:")
    int64 (line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024L

/// Installs what is missing, starts munged (unless one answers already), writes slurm.conf,
/// starts slurmctld and slurmd, and waits until the node is idle. SLURM_CONF is set for this
/// process, so sbatch, squeue and scontrol run by the runner find the cluster.
let start (log: string -> unit) =
    NotebookSlm.Corpora.Provisioning.EnsureApt([ "slurm-wlm"; "munge" ], Action<string>(log))
    let mungeUp () = let code, _, _ = run "sh" [ "-c"; "munge -n | unmunge" ] in code = 0
    let startedMunge =
        if mungeUp () then false
        else
            Directory.CreateDirectory "/run/munge" |> ignore
            run "chown" [ "munge:munge"; "/run/munge" ] |> ignore
            let code, _, err = run "su" [ "-s"; "/bin/sh"; "munge"; "-c"; "/usr/sbin/munged" ]
            if code <> 0 then failwith $"munged did not start: {err}"
            true
    let dir = Path.Combine(Path.GetTempPath(), $"notebookslm-slurm-{Guid.NewGuid():N}")
    for sub in [ "state"; "spool" ] do Directory.CreateDirectory(Path.Combine(dir, sub)) |> ignore
    let _, host, _ = run "hostname" [ "-s" ]
    let conf = Path.Combine(dir, "slurm.conf")
    let lines =
        [ "ClusterName=notebookslm"; $"SlurmctldHost={host}"; "SlurmUser=root"; "SlurmctldPort=16817"; "SlurmdPort=16818"
          "AuthType=auth/munge"; $"StateSaveLocation={dir}/state"; $"SlurmdSpoolDir={dir}/spool"
          $"SlurmctldPidFile={dir}/slurmctld.pid"; $"SlurmdPidFile={dir}/slurmd.pid"
          $"SlurmctldLogFile={dir}/slurmctld.log"; $"SlurmdLogFile={dir}/slurmd.log"
          "ProctrackType=proctrack/linuxproc"; "TaskPlugin=task/none"; "MpiDefault=none"
          "SelectType=select/cons_tres"; "SelectTypeParameters=CR_CPU_Memory"
          "JobAcctGatherType=jobacct_gather/none"; "AccountingStorageType=accounting_storage/none"
          "ReturnToService=2"; "SchedulerType=sched/backfill"; "MinJobAge=600"
          $"NodeName={host} CPUs={Environment.ProcessorCount} RealMemory={memoryMiB () - 1024L} State=UNKNOWN"
          $"PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP" ]
    File.WriteAllLines(conf, lines)
    Environment.SetEnvironmentVariable("SLURM_CONF", conf)
    for daemon in [ "/usr/sbin/slurmctld"; "/usr/sbin/slurmd" ] do
        let code, _, err = run daemon [ "-f"; conf ]
        if code <> 0 then failwith $"{daemon} did not start: {err} (log in {dir})"
    let cluster = new Cluster(dir, conf, startedMunge)
    let deadline = DateTime.UtcNow.AddSeconds 60.0
    let rec wait () =
        let _, state, _ = run "sinfo" [ "-h"; "-o"; "%T" ]
        if state.Contains "idle" then ()
        elif DateTime.UtcNow > deadline then
            (cluster :> IDisposable).Dispose()
            failwith $"the Slurm node did not become idle in 60 s (sinfo: '{state}'; logs in {dir})"
        else Threading.Thread.Sleep 500; wait ()
    wait ()
    log $"private Slurm cluster up: {conf}"
    cluster
