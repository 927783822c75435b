package chaos_test

import (
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"db.query", "db.query", true},
		{"db.query", "db.query2", false},
		{"db.query", "db.quer", false},
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything at all", true},
		{"sql.*", "sql.query", true},
		{"sql.*", "sql.", true},
		{"sql.*", "sql", false},
		{"sql.*", "nosql.query", false},
		{"*.query", "sql.query", true},
		{"*.query", "sql.query.slow", false},
		{"GET /users/*", "GET /users/{id}", true},
		{"GET /users/*", "POST /users/{id}", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "a-b-c", true},
		{"a*b*c", "a-c-b", false},
		{"a*b*c", "abcbc", true},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"ab*ba", "aba", false},
		{"**", "x", true},
		{"*x*", "abc", false},
		{"*x*", "axc", true},
		{"h*llo", "héllo", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.name, func(t *testing.T) {
			if got := chaos.Match(tt.pattern, tt.name); got != tt.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
			}
		})
	}
}

// FuzzMatch checks Match against a plain recursive matcher.
func FuzzMatch(f *testing.F) {
	f.Add("a*b*c", "abcbc")
	f.Add("*.query", "sql.query")
	f.Add("ab*ba", "aba")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(pattern) > 32 || len(name) > 64 {
			return
		}
		if got, want := chaos.Match(pattern, name), slowMatch(pattern, name); got != want {
			t.Fatalf("Match(%q, %q) = %v, want %v", pattern, name, got, want)
		}
	})
}

// slowMatch is the reference, by dynamic programming: '*' matches any run
// of bytes. ok[j] reports whether the pattern so far matches name[:j].
func slowMatch(pattern, name string) bool {
	ok := make([]bool, len(name)+1)
	ok[0] = true
	for i := 0; i < len(pattern); i++ {
		next := make([]bool, len(name)+1)
		for j := 0; j <= len(name); j++ {
			if pattern[i] == '*' {
				next[j] = ok[j] || (j > 0 && next[j-1])
			} else {
				next[j] = j > 0 && ok[j-1] && name[j-1] == pattern[i]
			}
		}
		ok = next
	}
	return ok[len(name)]
}
