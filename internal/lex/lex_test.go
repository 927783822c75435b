package lex

import (
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"", []string{""}, ""},
		{"a", []string{"a"}, ""},
		{"a;b;", []string{"a", "b", ""}, ""},
		{`a;"b;c";d`, []string{"a", `"b;c"`, "d"}, ""},
		{"f(a;b);[x;y];{p;q}", []string{"f(a;b)", "[x;y]", "{p;q}"}, ""},
		{`x("(;");y`, []string{`x("(;")`, "y"}, ""},
		{`a"\";b";c`, []string{`a"\";b"`, "c"}, ""},
		{`"open`, nil, "unterminated quoted string"},
		{`"bad \q"`, nil, "unterminated quoted string"},
		{"a)", nil, "unbalanced )"},
		{"(a]", nil, ""}, // brackets of different kinds are counted together
		{"((a)", nil, "unbalanced brackets"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Split(tt.in, ';')
			switch {
			case tt.wantErr != "":
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("Split = %q, %v; want error %q", got, err, tt.wantErr)
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

// FuzzSplit checks that Split never panics and that its parts join back
// to the input.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"a;b", `"x;y";z`, "f(a;b)", `"open`, "a)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts, err := Split(s, ';')
		if err != nil {
			return
		}
		if strings.Join(parts, ";") != s {
			t.Fatalf("Split(%q) = %q, which does not join back", s, parts)
		}
	})
}
