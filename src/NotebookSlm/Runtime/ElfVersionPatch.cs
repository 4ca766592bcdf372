using System.Buffers.Binary;
using System.Text;

namespace NotebookSlm.Runtime;

/// <summary>
/// Marks one required symbol version of an ELF64 little-endian shared object as weak
/// (VER_FLG_WEAK in its Vernaux entry of <c>.gnu.version_r</c>), so that the dynamic loader
/// accepts a system library that lacks that version.
/// </summary>
/// <remarks>
/// Why: TorchSharp 0.107's libLibTorchSharp.so was linked by GCC 13, which records a
/// requirement on <c>GLIBCXX_3.4.32</c> for <c>std::ios_base_library_init()</c>. Debian 12's
/// libstdc++ stops at 3.4.30. No relocation refers to that symbol (checked with readelf on 0.107.0), so
/// a weak requirement is safe. The patch is applied to a copy, never to the NuGet cache.
/// </remarks>
public static class ElfVersionPatch
{
    /// <summary>One required version: the library that defines it, its name and its Vernaux flags.</summary>
    public readonly record struct Requirement(string File, string Version, ushort Flags);

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    /// <summary>The versions the object requires, with their Vernaux flags.</summary>
    public static IReadOnlyList<Requirement> RequiredVersions(byte[] elf)
    {
        var result = new List<Requirement>();
        Walk(elf, (file, version, flagsOffset) =>
            result.Add(new Requirement(file, version, BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(flagsOffset)))));
        return result;
    }

    /// <summary>Sets VER_FLG_WEAK on every requirement named <paramref name="version"/>;
    /// returns how many entries were changed (0 if none needed it).</summary>
    public static int MarkWeak(byte[] elf, string version)
    {
        int changed = 0;
        Walk(elf, (_, name, flagsOffset) =>
        {
            if (name != version) return;
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(flagsOffset));
            if ((flags & VerFlgWeak) != 0) return;
            BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(flagsOffset), (ushort)(flags | VerFlgWeak));
            changed++;
        });
        return changed;
    }

    static void Walk(byte[] elf, Action<string, string, int> visit)
    {
        ReadOnlySpan<byte> s = elf;
        if (s.Length < 64 || s[0] != 0x7f || s[1] != (byte)'E' || s[2] != (byte)'L' || s[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (s[4] != 2 || s[5] != 1)
            throw new InvalidDataException("only 64-bit little-endian ELF files are supported");

        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(s[0x28..]);
        ushort shentsize = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3A..]);
        ushort shnum = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3C..]);

        (uint Type, ulong Offset, ulong Size, uint Link, uint Info) Section(int i)
        {
            var h = elf.AsSpan().Slice(checked((int)shoff + i * shentsize), shentsize);
            return (BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(h[0x18..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(h[0x20..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(h[0x28..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(h[0x2C..]));
        }

        for (int i = 0; i < shnum; i++)
        {
            var sec = Section(i);
            if (sec.Type != ShtGnuVerneed) continue;
            var strtab = Section((int)sec.Link);
            string Str(uint off)
            {
                int start = checked((int)(strtab.Offset + off));
                int end = Array.IndexOf(elf, (byte)0, start);
                return Encoding.ASCII.GetString(elf, start, end - start);
            }

            // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
            int need = checked((int)sec.Offset);
            for (uint n = 0; n < sec.Info; n++)
            {
                ushort cnt = BinaryPrimitives.ReadUInt16LittleEndian(s[(need + 2)..]);
                string file = Str(BinaryPrimitives.ReadUInt32LittleEndian(s[(need + 4)..]));
                uint aux = BinaryPrimitives.ReadUInt32LittleEndian(s[(need + 8)..]);
                uint next = BinaryPrimitives.ReadUInt32LittleEndian(s[(need + 12)..]);
                // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
                int a = need + (int)aux;
                for (int k = 0; k < cnt; k++)
                {
                    string name = Str(BinaryPrimitives.ReadUInt32LittleEndian(s[(a + 8)..]));
                    visit(file, name, a + 4);
                    a += (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(a + 12)..]);
                }
                if (next == 0) break;
                need += (int)next;
            }
        }
    }
}
