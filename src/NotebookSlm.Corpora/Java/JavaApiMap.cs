namespace NotebookSlm.Corpora;

/// <summary>
/// The name tables of the Java -> C# rules (JavaToCSharp): types, static members, exceptions
/// and instance methods with a direct .NET counterpart, and the Java library names that have
/// none (a method using them is skipped). Only same-meaning pairs are listed: Java's
/// Math.round (half-up to long) or Math.signum (double) have no same-meaning .NET call and are
/// absent, so methods using them are skipped rather than translated wrongly.
/// </summary>
public static class JavaApiMap
{
    /// <summary>Type names (as types, not followed by '.').</summary>
    public static readonly Dictionary<string, string> Types = new(StringComparer.Ordinal)
    {
        ["boolean"] = "bool", ["byte"] = "sbyte", ["String"] = "string", ["Object"] = "object",
        ["ArrayList"] = "List", ["List"] = "IList", ["HashMap"] = "Dictionary", ["Map"] = "IDictionary",
        ["Set"] = "ISet", ["Collection"] = "ICollection", ["Iterable"] = "IEnumerable",
        ["Comparable"] = "IComparable", ["Comparator"] = "IComparer", ["Throwable"] = "Exception",
    };

    /// <summary>Boxed types, allowed only as type arguments (List&lt;Integer&gt; -> IList&lt;int&gt;).</summary>
    public static readonly Dictionary<string, string> Boxed = new(StringComparer.Ordinal)
    {
        ["Integer"] = "int", ["Long"] = "long", ["Short"] = "short", ["Byte"] = "sbyte", ["Character"] = "char",
        ["Boolean"] = "bool", ["Double"] = "double", ["Float"] = "float",
    };

    /// <summary>"Class.member" -> its .NET counterpart.</summary>
    public static readonly Dictionary<string, string> StaticMembers = new(StringComparer.Ordinal)
    {
        ["Integer.MAX_VALUE"] = "int.MaxValue", ["Integer.MIN_VALUE"] = "int.MinValue",
        ["Long.MAX_VALUE"] = "long.MaxValue", ["Long.MIN_VALUE"] = "long.MinValue",
        ["Short.MAX_VALUE"] = "short.MaxValue", ["Short.MIN_VALUE"] = "short.MinValue",
        ["Byte.MAX_VALUE"] = "sbyte.MaxValue", ["Byte.MIN_VALUE"] = "sbyte.MinValue",
        ["Character.MAX_VALUE"] = "char.MaxValue", ["Character.MIN_VALUE"] = "char.MinValue",
        ["Double.MAX_VALUE"] = "double.MaxValue", ["Double.MIN_VALUE"] = "double.Epsilon", ["Double.NaN"] = "double.NaN",
        ["Double.POSITIVE_INFINITY"] = "double.PositiveInfinity", ["Double.NEGATIVE_INFINITY"] = "double.NegativeInfinity",
        ["Float.MAX_VALUE"] = "float.MaxValue", ["Float.MIN_VALUE"] = "float.Epsilon", ["Float.NaN"] = "float.NaN",
        ["Float.POSITIVE_INFINITY"] = "float.PositiveInfinity", ["Float.NEGATIVE_INFINITY"] = "float.NegativeInfinity",
        ["Boolean.TRUE"] = "true", ["Boolean.FALSE"] = "false",
        ["Integer.parseInt"] = "int.Parse", ["Long.parseLong"] = "long.Parse", ["Double.parseDouble"] = "double.Parse",
        ["Double.isNaN"] = "double.IsNaN", ["Float.isNaN"] = "float.IsNaN",
        ["Double.isInfinite"] = "double.IsInfinity", ["Float.isInfinite"] = "float.IsInfinity",
        ["Character.isDigit"] = "char.IsDigit", ["Character.isLetter"] = "char.IsLetter",
        ["Character.isLetterOrDigit"] = "char.IsLetterOrDigit", ["Character.isWhitespace"] = "char.IsWhiteSpace",
        ["Character.isUpperCase"] = "char.IsUpper", ["Character.isLowerCase"] = "char.IsLower",
        ["Character.toUpperCase"] = "char.ToUpper", ["Character.toLowerCase"] = "char.ToLower",
        ["Character.isHighSurrogate"] = "char.IsHighSurrogate", ["Character.isLowSurrogate"] = "char.IsLowSurrogate",
        ["Character.isSurrogate"] = "char.IsSurrogate",
        ["Math.abs"] = "Math.Abs", ["Math.max"] = "Math.Max", ["Math.min"] = "Math.Min", ["Math.sqrt"] = "Math.Sqrt",
        ["Math.cbrt"] = "Math.Cbrt", ["Math.pow"] = "Math.Pow", ["Math.exp"] = "Math.Exp", ["Math.log"] = "Math.Log",
        ["Math.log10"] = "Math.Log10", ["Math.sin"] = "Math.Sin", ["Math.cos"] = "Math.Cos", ["Math.tan"] = "Math.Tan",
        ["Math.asin"] = "Math.Asin", ["Math.acos"] = "Math.Acos", ["Math.atan"] = "Math.Atan", ["Math.atan2"] = "Math.Atan2",
        ["Math.sinh"] = "Math.Sinh", ["Math.cosh"] = "Math.Cosh", ["Math.tanh"] = "Math.Tanh", ["Math.floor"] = "Math.Floor",
        ["Math.ceil"] = "Math.Ceiling", ["Math.rint"] = "Math.Round", ["Math.PI"] = "Math.PI", ["Math.E"] = "Math.E",
        ["System.arraycopy"] = "Array.Copy", ["System.identityHashCode"] = "RuntimeHelpers.GetHashCode",
        ["String.join"] = "string.Join", ["Objects.equals"] = "object.Equals",
    };

    /// <summary>Library classes whose static members are looked up in StaticMembers (or in the
    /// argument-aware rules: Arrays.fill, Arrays.sort, Objects.requireNonNull); any other
    /// member of theirs is untranslatable.</summary>
    public static readonly HashSet<string> MappedClasses = new(StringComparer.Ordinal)
    {
        "Integer", "Long", "Short", "Byte", "Character", "Boolean", "Double", "Float", "Math", "StrictMath", "System",
        "String", "Arrays", "Objects", "Collections", "Thread", "Runtime", "List", "Map", "Set", "Collection",
        "ArrayList", "HashMap", "Comparator", "Comparable", "Iterable", "Object",
    };

    /// <summary>Java exception types -> .NET exception types of the same meaning.</summary>
    public static readonly Dictionary<string, string> Exceptions = new(StringComparer.Ordinal)
    {
        ["IllegalArgumentException"] = "ArgumentException", ["IllegalStateException"] = "InvalidOperationException",
        ["NullPointerException"] = "NullReferenceException", ["IndexOutOfBoundsException"] = "IndexOutOfRangeException",
        ["ArrayIndexOutOfBoundsException"] = "IndexOutOfRangeException",
        ["StringIndexOutOfBoundsException"] = "ArgumentOutOfRangeException",
        ["UnsupportedOperationException"] = "NotSupportedException", ["ArithmeticException"] = "ArithmeticException",
        ["ClassCastException"] = "InvalidCastException", ["NumberFormatException"] = "FormatException",
        ["NegativeArraySizeException"] = "OverflowException", ["ArrayStoreException"] = "ArrayTypeMismatchException",
        ["ConcurrentModificationException"] = "InvalidOperationException", ["NoSuchElementException"] = "InvalidOperationException",
        ["InterruptedException"] = "ThreadInterruptedException", ["CloneNotSupportedException"] = "NotSupportedException",
        ["IOException"] = "IOException", ["UncheckedIOException"] = "IOException", ["FileNotFoundException"] = "FileNotFoundException",
        ["EOFException"] = "EndOfStreamException", ["Exception"] = "Exception", ["RuntimeException"] = "Exception",
    };

    /// <summary>Instance methods renamed beyond PascalCase.</summary>
    public static readonly Dictionary<string, string> Methods = new(StringComparer.Ordinal)
    {
        ["hashCode"] = "GetHashCode", ["getClass"] = "GetType", ["toUpperCase"] = "ToUpper", ["toLowerCase"] = "ToLower",
    };

    /// <summary>Java library names with no same-meaning .NET counterpart.</summary>
    public static readonly HashSet<string> JavaOnly = new(StringComparer.Ordinal)
    {
        "Iterator", "ListIterator", "Enumeration", "Spliterator", "Spliterators", "Stream", "IntStream", "LongStream",
        "DoubleStream", "Collectors", "StreamSupport", "Optional", "OptionalInt", "OptionalLong", "OptionalDouble", "Class",
        "ClassLoader", "AccessController", "PrivilegedAction", "PrivilegedExceptionAction", "SecurityManager", "Unsafe",
        "SharedSecrets", "VarHandle", "MethodHandle", "MethodHandles", "MethodType", "Reflection", "CharSequence",
        "Consumer", "BiConsumer", "Function", "BiFunction", "Supplier", "Predicate", "BiPredicate", "IntFunction",
        "IntUnaryOperator", "IntBinaryOperator", "UnaryOperator", "BinaryOperator", "Runnable", "Callable", "Cloneable",
        "Serializable", "ObjectInputStream", "ObjectOutputStream", "ObjectStreamField", "ThreadLocal", "ThreadLocalRandom",
        "WeakReference", "SoftReference", "ReferenceQueue", "Entry", "jdk", "sun", "java", "javax", "Preconditions",
    };

    /// <summary>C# reserved words that are ordinary identifiers in Java; escaped with '@'.</summary>
    public static readonly HashSet<string> CSharpOnlyKeywords = new(StringComparer.Ordinal)
    {
        "as", "base", "bool", "checked", "decimal", "delegate", "event", "explicit", "extern", "fixed", "foreach",
        "implicit", "in", "internal", "is", "lock", "namespace", "object", "operator", "out", "override", "params",
        "readonly", "ref", "sbyte", "sealed", "sizeof", "stackalloc", "string", "struct", "typeof", "uint", "ulong",
        "unchecked", "unsafe", "ushort", "using", "virtual",
    };
}
