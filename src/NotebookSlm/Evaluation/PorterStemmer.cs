namespace NotebookSlm.Evaluation;

/// <summary>
/// The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", Program 14(3),
/// 1980) in the variant that rouge-score uses: NLTK's <c>nltk.stem.porter.PorterStemmer()</c>
/// in its default <c>NLTK_EXTENSIONS</c> mode. That mode adds to the published algorithm a
/// table of irregular forms, leaves words of one or two letters alone, and changes steps 1a,
/// 1b, 1c and 2 (each change is marked below). Lucene's PorterStemmer follows Porter's own
/// C/Java release instead, which stems e.g. "dying" to "dy" and "enjoy" to "enjoi" where
/// NLTK gives "die" and "enjoy", so ROUGE with stemming needs this variant to match.
/// <para>Input is expected in lower case (ROUGE tokens are <c>[a-z0-9]+</c>); digits count as
/// consonants, as in NLTK. <c>tests/.../fixtures/evaluation/porter-nltk.tsv</c> holds NLTK's
/// stems of real words; the tests require every one to match.</para>
/// </summary>
public static class PorterStemmer
{
    /// <summary>NLTK's irregular forms, checked before any rule.</summary>
    static readonly Dictionary<string, string> Irregular = new(StringComparer.Ordinal)
    {
        ["sky"] = "sky", ["skies"] = "sky", ["dying"] = "die", ["lying"] = "lie", ["tying"] = "tie",
        ["news"] = "news", ["innings"] = "inning", ["inning"] = "inning", ["outings"] = "outing",
        ["outing"] = "outing", ["cannings"] = "canning", ["canning"] = "canning", ["howe"] = "howe",
        ["proceed"] = "proceed", ["exceed"] = "exceed", ["succeed"] = "succeed",
    };

    /// <summary>The stem of a lower-case word.</summary>
    public static string Stem(string word)
    {
        if (Irregular.TryGetValue(word, out var irregular)) return irregular;
        if (word.Length <= 2) return word;   // NLTK: one- and two-letter words are never stemmed
        var w = Step1a(word);
        w = Step1b(w);
        w = Step1c(w);
        w = Step2(w);
        w = Step3(w);
        w = Step4(w);
        w = Step5a(w);
        return Step5b(w);
    }

    // ---- the paper's definitions: consonants, the measure m, *v*, *d and *o ----

    /// <summary>A letter other than a, e, i, o, u, and other than a y after a consonant.</summary>
    static bool IsConsonant(string w, int i) => w[i] switch
    {
        'a' or 'e' or 'i' or 'o' or 'u' => false,
        'y' => i == 0 || !IsConsonant(w, i - 1),   // y after a consonant is a vowel ("syzygy")
        _ => true,
    };

    /// <summary>m in [C](VC){m}[V]: the number of vowel-to-consonant changes in the first
    /// <paramref name="length"/> letters.</summary>
    static int Measure(string w, int length)
    {
        int m = 0;
        for (int i = 1; i < length; i++)
            if (IsConsonant(w, i) && !IsConsonant(w, i - 1)) m++;
        return m;
    }

    static int Measure(string stem) => Measure(stem, stem.Length);

    static bool ContainsVowel(string stem)
    {
        for (int i = 0; i < stem.Length; i++)
            if (!IsConsonant(stem, i)) return true;
        return false;
    }

    /// <summary>*d: ends with a double consonant.</summary>
    static bool EndsDoubleConsonant(string w) =>
        w.Length >= 2 && w[^1] == w[^2] && IsConsonant(w, w.Length - 1);

    /// <summary>*o: ends consonant-vowel-consonant, the last not w, x or y. NLTK extension:
    /// a two-letter stem vowel-consonant also counts (so "ow(ed)" does not lose its e).</summary>
    static bool EndsCvc(string w) =>
        (w.Length >= 3 && IsConsonant(w, w.Length - 3) && !IsConsonant(w, w.Length - 2)
         && IsConsonant(w, w.Length - 1) && w[^1] is not ('w' or 'x' or 'y'))
        || (w.Length == 2 && !IsConsonant(w, 0) && IsConsonant(w, 1));

    /// <summary>One rule: a suffix, its replacement and the condition on the stem before it.</summary>
    readonly record struct Rule(string Suffix, string Replacement, Func<string, bool>? Condition = null);

    /// <summary>Applies the first rule whose suffix matches; if its condition fails the word
    /// is returned unchanged and later rules are not tried (the paper's "longest match").</summary>
    static string FirstRule(string w, params ReadOnlySpan<Rule> rules)
    {
        foreach (var r in rules)
        {
            if (!w.EndsWith(r.Suffix, StringComparison.Ordinal)) continue;
            var stem = w[..^r.Suffix.Length];
            return r.Condition is null || r.Condition(stem) ? stem + r.Replacement : w;
        }
        return w;
    }

    static bool M0(string stem) => Measure(stem) > 0;
    static bool M1(string stem) => Measure(stem) > 1;

    // ---- the steps ----

    static string Step1a(string w)
    {
        // NLTK: a four-letter "-ies" keeps its e ("dies" -> "die", but "flies" -> "fli").
        if (w.Length == 4 && w.EndsWith("ies", StringComparison.Ordinal)) return w[..^1];
        return FirstRule(w, Step1aRules);
    }

    static readonly Rule[] Step1aRules = [new("sses", "ss"), new("ies", "i"), new("ss", "ss"), new("s", "")];

    static string Step1b(string w)
    {
        // NLTK: "-ied" becomes "-ie" in a four-letter word, else "-i" ("died" -> "die", "spied" -> "spi").
        if (w.EndsWith("ied", StringComparison.Ordinal)) return w.Length == 4 ? w[..^1] : w[..^2];
        if (w.EndsWith("eed", StringComparison.Ordinal))
            return Measure(w, w.Length - 3) > 0 ? w[..^1] : w;   // (m>0) EED -> EE, else nothing
        string stem;
        if (w.EndsWith("ed", StringComparison.Ordinal) && ContainsVowel(w[..^2])) stem = w[..^2];
        else if (w.EndsWith("ing", StringComparison.Ordinal) && ContainsVowel(w[..^3])) stem = w[..^3];
        else return w;
        // Tidying after -ed or -ing: restore the e of -ate, -ble, -ize; undouble a final
        // consonant other than l, s, z; add e to a short cvc stem ("fil(ing)" -> "file").
        if (stem.EndsWith("at", StringComparison.Ordinal) || stem.EndsWith("bl", StringComparison.Ordinal)
            || stem.EndsWith("iz", StringComparison.Ordinal)) return stem + "e";
        if (EndsDoubleConsonant(stem)) return stem[^1] is 'l' or 's' or 'z' ? stem : stem[..^1];
        return Measure(stem) == 1 && EndsCvc(stem) ? stem + "e" : stem;
    }

    /// <summary>NLTK: y -> i only after a consonant that is not the first letter
    /// ("happy" -> "happi", "enjoy" and "by" unchanged; "cry" -> "cri").</summary>
    static string Step1c(string w) =>
        w.EndsWith('y') && w.Length > 2 && IsConsonant(w, w.Length - 2) ? w[..^1] + "i" : w;

    static string Step2(string w)
    {
        // NLTK: "-alli" -> "-al" is tried first and the result goes through step 2 again.
        if (w.EndsWith("alli", StringComparison.Ordinal) && M0(w[..^4])) return Step2(w[..^2]);
        return FirstRule(w, Step2Rules);
    }

    static readonly Rule[] Step2Rules =
    [
        new("ational", "ate", M0), new("tional", "tion", M0), new("enci", "ence", M0), new("anci", "ance", M0),
        new("izer", "ize", M0), new("bli", "ble", M0),   // Porter's later "bli" for the paper's "abli"
        new("alli", "al", M0), new("entli", "ent", M0), new("eli", "e", M0), new("ousli", "ous", M0),
        new("ization", "ize", M0), new("ation", "ate", M0), new("ator", "ate", M0), new("alism", "al", M0),
        new("iveness", "ive", M0), new("fulness", "ful", M0), new("ousness", "ous", M0), new("aliti", "al", M0),
        new("iviti", "ive", M0), new("biliti", "ble", M0),
        new("fulli", "ful", M0),                         // NLTK
        // NLTK: the l of "-logi" stays with the stem for the measure ("geologi" -> "geolog").
        new("logi", "log", stem => M0(stem + "l")),
    ];

    static string Step3(string w) => FirstRule(w, Step3Rules);

    static readonly Rule[] Step3Rules =
    [
        new("icate", "ic", M0), new("ative", "", M0), new("alize", "al", M0), new("iciti", "ic", M0),
        new("ical", "ic", M0), new("ful", "", M0), new("ness", "", M0),
    ];

    static string Step4(string w) => FirstRule(w, Step4Rules);

    static readonly Rule[] Step4Rules =
    [
        new("al", "", M1), new("ance", "", M1), new("ence", "", M1), new("er", "", M1), new("ic", "", M1),
        new("able", "", M1), new("ible", "", M1), new("ant", "", M1), new("ement", "", M1), new("ment", "", M1),
        new("ent", "", M1), new("ion", "", stem => M1(stem) && stem[^1] is 's' or 't'), new("ou", "", M1),
        new("ism", "", M1), new("ate", "", M1), new("iti", "", M1), new("ous", "", M1), new("ive", "", M1),
        new("ize", "", M1),
    ];

    /// <summary>(m>1) E -> ; (m=1 and not *o) E -> . Both conditions are tried, unlike the
    /// first-match rule lists.</summary>
    static string Step5a(string w)
    {
        if (!w.EndsWith('e')) return w;
        var stem = w[..^1];
        int m = Measure(stem);
        return m > 1 || (m == 1 && !EndsCvc(stem)) ? stem : w;
    }

    /// <summary>(m>1 and *d and *L) -> single letter, the measure taken with one l.</summary>
    static string Step5b(string w) =>
        w.EndsWith("ll", StringComparison.Ordinal) && Measure(w, w.Length - 1) > 1 ? w[..^1] : w;
}
