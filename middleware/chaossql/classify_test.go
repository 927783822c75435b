package chaossql

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		query, want string
	}{
		{"SELECT 1", kindSelect},
		{"select * from t", kindSelect},
		{"  \n\tSeLeCt x", kindSelect},
		{"-- first\n-- second\nSELECT 1", kindSelect},
		{"/* hint */ SELECT 1", kindSelect},
		{"/* a */ /* b */ -- c\n INSERT INTO t VALUES (1)", kindInsert},
		{"(SELECT 1) UNION (SELECT 2)", kindSelect},
		{"VALUES (1), (2)", kindSelect},
		{"INSERT INTO t VALUES (1)", kindInsert},
		{"REPLACE INTO t VALUES (1)", kindInsert},
		{"UPDATE t SET x = 1", kindUpdate},
		{"DELETE FROM t", kindDelete},
		{"WITH v AS (SELECT 1) SELECT * FROM v", kindSelect},
		{"WITH RECURSIVE v(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM v) SELECT n FROM v", kindSelect},
		{"WITH v AS (SELECT 1) INSERT INTO t SELECT * FROM v", kindInsert},
		{"WITH v AS (SELECT 1) UPDATE t SET x = (SELECT * FROM v)", kindUpdate},
		{"with v as (select 1), w as (select 2) delete from t", kindDelete},
		{"WITH v AS MATERIALIZED (SELECT 'DELETE') SELECT 1", kindSelect},
		{"WITH v AS (SELECT ')' AS p) DELETE FROM t", kindDelete},
		{`WITH "select" AS (SELECT 1) UPDATE t SET x = 1`, kindUpdate},
		{"WITH v AS (/* ) */ SELECT 1) DELETE FROM t", kindDelete},
		{"WITH v AS (SELECT 1)", kindOther},
		{"CREATE TABLE t (x)", kindOther},
		{"DROP TABLE t", kindOther},
		{"PRAGMA user_version", kindOther},
		{"BEGIN", kindOther},
		{"EXPLAIN SELECT 1", kindOther},
		{"SELECTED", kindOther},
		{"selectx 1", kindOther},
		{"", kindOther},
		{"   ", kindOther},
		{"-- only a comment", kindOther},
		{"/* unterminated", kindOther},
		{";", kindOther},
		{"((((", kindOther},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if got := classify(tt.query); got != tt.want {
				t.Errorf("classify(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
}

// TestClassifyAllocs holds classify to no allocation.
func TestClassifyAllocs(t *testing.T) {
	q := "/* c */ WITH v AS (SELECT 1) INSERT INTO t SELECT * FROM v"
	if n := testing.AllocsPerRun(100, func() { classify(q) }); n != 0 {
		t.Errorf("classify allocates %v times", n)
	}
}

// TestClassifyProperty checks that the kind of a generated statement does
// not depend on the spaces and comments before it or on the case of its
// keyword.
func TestClassifyProperty(t *testing.T) {
	keywords := map[string]string{
		"select": kindSelect, "values": kindSelect, "insert": kindInsert, "replace": kindInsert,
		"update": kindUpdate, "delete": kindDelete, "create": kindOther, "pragma": kindOther,
	}
	var names []string
	for k := range keywords {
		names = append(names, k)
	}
	trivia := rapid.SampledFrom([]string{" ", "\t", "\n", "-- note\n", "/* note */", "/* -- */", "("})
	rapid.Check(t, func(t *rapid.T) {
		kw := rapid.SampledFrom(names).Draw(t, "keyword")
		var b strings.Builder
		for _, s := range rapid.SliceOfN(trivia, 0, 5).Draw(t, "trivia") {
			b.WriteString(s)
		}
		with := rapid.Bool().Draw(t, "with")
		if with {
			b.WriteString("WITH cte AS (SELECT ')' FROM u) ")
		}
		for i, upper := range rapid.SliceOfN(rapid.Bool(), len(kw), len(kw)).Draw(t, "upper") {
			if upper {
				b.WriteString(strings.ToUpper(kw[i : i+1]))
			} else {
				b.WriteByte(kw[i])
			}
		}
		b.WriteString(rapid.SampledFrom([]string{"", " ", " x", "(1)", " /* */ y"}).Draw(t, "rest"))
		want := keywords[kw]
		if got := classify(b.String()); got != want {
			t.Fatalf("classify(%q) = %q, want %q", b.String(), got, want)
		}
	})
}

// FuzzClassify checks that classify takes any input, returns one of the
// five kinds, and ignores spaces and comments in front.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"SELECT 1", "insert into t", "WITH v AS (SELECT 1) DELETE FROM t", "/* x", "-- y", "'", "[", "(((", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := classify(q)
		switch got {
		case kindSelect, kindInsert, kindUpdate, kindDelete, kindOther:
		default:
			t.Fatalf("classify(%q) = %q, not a kind", q, got)
		}
		for _, prefix := range []string{" ", "\n", "/* c */", "-- c\n"} {
			if again := classify(prefix + q); again != got {
				t.Errorf("classify(%q) = %q, but classify(%q) = %q", q, got, prefix+q, again)
			}
		}
	})
}
