package lex

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
		offset  int // of the error
	}{
		{"", []string{""}, "", 0},
		{"a", []string{"a"}, "", 0},
		{"a;b;", []string{"a", "b", ""}, "", 0},
		{`a;"b;c";d`, []string{"a", `"b;c"`, "d"}, "", 0},
		{"f(a;b);[x;y];{p;q}", []string{"f(a;b)", "[x;y]", "{p;q}"}, "", 0},
		{`x("(;");y`, []string{`x("(;")`, "y"}, "", 0},
		{`a"\";b";c`, []string{`a"\";b"`, "c"}, "", 0},
		{`"open`, nil, "unterminated quoted string", 0},
		{`a;b;"bad \q"`, nil, "unterminated quoted string", 4},
		{"a)", nil, "unbalanced )", 1},
		{"a;b;c)", nil, "unbalanced )", 5},
		{"(a]", nil, "", 0}, // brackets of different kinds are counted together
		{"((a)", nil, "unbalanced brackets", 0},
		{"a;(b);x[(c)", nil, "unbalanced brackets", 7},
		{"a;b[x]();c{", nil, "unbalanced brackets", 10},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Split(tt.in, ';')
			switch {
			case tt.wantErr != "":
				var se *SyntaxError
				if !errors.As(err, &se) || err.Error() != tt.wantErr || se.Offset != tt.offset {
					t.Errorf("Split = %q, %#v; want error %q at %d", got, err, tt.wantErr, tt.offset)
				}
			case tt.want == nil:
				if err != nil {
					t.Errorf("Split = %v", err)
				}
			case err != nil || !slices.Equal(got, tt.want):
				t.Errorf("Split = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 8, `"short"`},
		{"exactly8", 8, `"exactly8"`},
		{"longer than eight", 8, `"longer t"...`},
		{"ab\"cd", 3, `"ab\""...`},
		{"aé", 2, `"a"...`}, // é is two bytes: no half rune
		{"\xff\xfe", 1, `"\xff"...`},
		{strings.Repeat("x", 1<<20), 4, `"xxxx"...`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Excerpt(tt.in, tt.n); got != tt.want {
				t.Errorf("Excerpt(%.20q, %d) = %s, want %s", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func TestValue(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"", "", ""},
		{"  bare text  ", "bare text", ""},
		{`"quoted"`, "quoted", ""},
		{` " padded " `, " padded ", ""},
		{`"\u00e9\t"`, "é\t", ""},
		{`"open`, "", `bad quoted string "open`},
		{`"a" b`, "", `bad quoted string "a" b`},
		{`a"b`, "", `stray quote in "a\"b"`},
		{`"` + strings.Repeat("x", 100), "", `bad quoted string "\"` + strings.Repeat("x", 63) + `"...`},
		{strings.Repeat("y", 100) + `"`, "", `stray quote in "` + strings.Repeat("y", 64) + `"...`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Value(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("Value = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Value = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	const special = "=;,"
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"with space", "with space"},
		{"héllo", "héllo"},
		{"", `""`},
		{" lead", `" lead"`},
		{"trail\t", `"trail\t"`},
		{"a=b", `"a=b"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{"\x00", `"\x00"`},
		{"\xff", `"\xff"`},
		{"\u2028", `"\u2028"`},
		{"\u00a0x", `"\u00a0x"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Quote(tt.in, special); got != tt.want {
				t.Errorf("Quote(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzQuote checks that Value reads back whatever Quote writes, and that a
// bare result holds none of the special bytes.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"plain", "", " x", "a=b", `"`, `\`, "\xff", "é", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		const special = "=;,()[]{}"
		q := Quote(s, special)
		if !strings.HasPrefix(q, `"`) && strings.ContainsAny(q, special) {
			t.Fatalf("Quote(%q) = %q, bare with a special byte", s, q)
		}
		got, err := Value(q)
		if err != nil || got != s {
			t.Fatalf("Value(Quote(%q)) = %q, %v", s, got, err)
		}
		parts, err := Split(q, ';')
		if err != nil || len(parts) != 1 {
			t.Fatalf("Split(Quote(%q)) = %q, %v; want one part", s, parts, err)
		}
	})
}

// FuzzSplit checks that Split never panics, that its parts join back to
// the input, and that an error points at a quote or a bracket.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"a;b", `"x;y";z`, "f(a;b)", `"open`, "a)", "a;b(;c", "a;[b];{c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts, err := Split(s, ';')
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset >= len(s) || !strings.ContainsRune(`"()[]{}`, rune(s[se.Offset])) {
				t.Fatalf("Split(%q) = %#v, not at a quote or bracket", s, err)
			}
			return
		}
		if strings.Join(parts, ";") != s {
			t.Fatalf("Split(%q) = %q, which does not join back", s, parts)
		}
	})
}
