package chaossql

import (
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// classes are the documented statement classes, every value Classify may
// return.
var classes = []string{ClassSelect, ClassInsert, ClassUpdate, ClassDelete, ClassMerge, ClassDDL, ClassTx, ClassOther}

func TestClassify(t *testing.T) {
	tests := []struct {
		query, want string
	}{
		// Reads.
		{"SELECT 1", ClassSelect},
		{"select * from t", ClassSelect},
		{"  \n\tSeLeCt x", ClassSelect},
		{"(SELECT 1) UNION (SELECT 2)", ClassSelect},
		{"VALUES (1), (2)", ClassSelect},
		{"TABLE t", ClassSelect},
		{"SELECT * FROM t FOR UPDATE", ClassSelect},

		// Comments and spaces in front.
		{"-- first\n-- second\nSELECT 1", ClassSelect},
		{"/* hint */ SELECT 1", ClassSelect},
		{"/*+ INDEX(t i) */ DELETE FROM t", ClassDelete},
		{"/* a */ /* b */ -- c\n INSERT INTO t VALUES (1)", ClassInsert},
		{"--\r\nUPDATE t SET x = 1", ClassUpdate},

		// Writes, whatever the driver method that carries them.
		{"INSERT INTO t VALUES (1)", ClassInsert},
		{"INSERT INTO t(x) VALUES (?) RETURNING id", ClassInsert},
		{"insert into t(x) values ($1) on conflict (x) do update set x = excluded.x returning id", ClassInsert},
		{"INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE x = 2", ClassInsert},
		{"INSERT OR REPLACE INTO t VALUES (1)", ClassInsert},
		{"REPLACE INTO t VALUES (1)", ClassInsert},
		{"UPSERT INTO t VALUES (1)", ClassInsert},
		{"UPDATE t SET x = 1 RETURNING x", ClassUpdate},
		{"DELETE FROM t RETURNING *", ClassDelete},
		{"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET x = s.x WHEN NOT MATCHED THEN INSERT VALUES (s.id)", ClassMerge},

		// WITH: the main statement after the CTE list.
		{"WITH v AS (SELECT 1) SELECT * FROM v", ClassSelect},
		{"WITH RECURSIVE v(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM v) SELECT n FROM v", ClassSelect},
		{"WITH v AS (SELECT 1) INSERT INTO t SELECT * FROM v", ClassInsert},
		{"WITH v AS (SELECT 1) INSERT INTO t SELECT * FROM v RETURNING id", ClassInsert},
		{"WITH v AS (SELECT 1) UPDATE t SET x = (SELECT * FROM v)", ClassUpdate},
		{"with v as (select 1), w as (select 2) delete from t", ClassDelete},
		{"WITH gone AS (DELETE FROM t RETURNING *) INSERT INTO log SELECT * FROM gone", ClassInsert},
		{"WITH moved AS (DELETE FROM a RETURNING *) SELECT count(*) FROM moved", ClassSelect},
		{"WITH s AS (SELECT 1 AS id) MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN DO NOTHING", ClassMerge},
		{"WITH v AS MATERIALIZED (SELECT 'DELETE') SELECT 1", ClassSelect},
		{"WITH v AS NOT MATERIALIZED (SELECT 1) VALUES (1)", ClassSelect},
		{"WITH v AS (SELECT ')' AS p) DELETE FROM t", ClassDelete},
		{`WITH "select" AS (SELECT 1) UPDATE t SET x = 1`, ClassUpdate},
		{"WITH `insert` AS (SELECT 1) DELETE FROM t", ClassDelete},
		{"WITH [update] AS (SELECT 1) INSERT INTO t VALUES (1)", ClassInsert},
		{"WITH v AS (/* ) */ SELECT 1) DELETE FROM t", ClassDelete},
		{"WITH v AS (SELECT 1 -- )\n) DELETE FROM t", ClassDelete},
		{"WITH v AS (SELECT $$ ) $$) DELETE FROM t", ClassDelete},
		{"WITH v AS (SELECT $body$ ) UPDATE $body$) INSERT INTO t SELECT * FROM v", ClassInsert},
		{"WITH v AS (SELECT $1::int) UPDATE t SET x = (SELECT * FROM v)", ClassUpdate},
		// A CTE may be named like an unreserved keyword.
		{"WITH update AS (SELECT 1) SELECT * FROM update", ClassSelect},
		{"WITH RECURSIVE delete(n) AS (SELECT 1) INSERT INTO t SELECT n FROM delete", ClassInsert},
		{"WITH a AS (SELECT 1), update AS (SELECT 2) DELETE FROM t", ClassDelete},
		{"(WITH v AS (SELECT 1) SELECT * FROM v)", ClassSelect},
		{"WITH v AS (SELECT 1)", ClassOther},
		{"WITH", ClassOther},
		{"WITH v AS (SELECT 'unterminated) DELETE FROM t", ClassOther},

		// DDL.
		{"CREATE TABLE t (x)", ClassDDL},
		{"create unique index i on t(x)", ClassDDL},
		{"ALTER TABLE t ADD COLUMN y", ClassDDL},
		{"DROP TABLE t", ClassDDL},
		{"TRUNCATE t", ClassDDL},
		{"RENAME TABLE a TO b", ClassDDL},

		// Transaction control sent as text.
		{"BEGIN", ClassTx},
		{"begin immediate", ClassTx},
		{"START TRANSACTION", ClassTx},
		{"START REPLICA", ClassOther},
		{"START", ClassOther},
		{"COMMIT", ClassTx},
		{"END TRANSACTION", ClassTx},
		{"ROLLBACK TO SAVEPOINT s", ClassTx},
		{"ABORT", ClassTx},
		{"SAVEPOINT s", ClassTx},
		{"RELEASE SAVEPOINT s", ClassTx},

		// Everything else.
		{"PRAGMA user_version", ClassOther},
		{"EXPLAIN SELECT 1", ClassOther},
		{"SET search_path = x", ClassOther},
		{"SHOW TABLES", ClassOther},
		{"CALL p()", ClassOther},
		{"DO $$ BEGIN END $$", ClassOther},
		{"SELECTED", ClassOther},
		{"selectx 1", ClassOther},
		{"beginning", ClassOther},
		{"", ClassOther},
		{"   ", ClassOther},
		{"-- only a comment", ClassOther},
		{"/* unterminated", ClassOther},
		{";", ClassOther},
		{"((((", ClassOther},
		{"\xff\xfe", ClassOther},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if got := Classify(tt.query); got != tt.want {
				t.Errorf("Classify(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
}

// TestClassifyLimit checks that Classify reads no further than
// classifyLimit, and does not take a keyword the limit cut for another.
func TestClassifyLimit(t *testing.T) {
	pad := func(n int) string { return "/*" + strings.Repeat(" ", n-4) + "*/" }
	tests := []struct {
		name, query, want string
	}{
		{"keyword inside", pad(classifyLimit-len("DELETE ")) + "DELETE FROM t", ClassDelete},
		{"keyword beyond", pad(classifyLimit) + "DELETE FROM t", ClassOther},
		{"keyword cut", pad(classifyLimit-len("DELETE")) + "DELETED", ClassOther},
		{"keyword ends at the limit", pad(classifyLimit-len("DELETE")) + "DELETE FROM t", ClassOther},
		{"long insert", "INSERT INTO t VALUES " + strings.Repeat("(1),", classifyLimit) + "(1)", ClassInsert},
		{"long CTE", "WITH v AS (SELECT '" + strings.Repeat("x", classifyLimit) + "') DELETE FROM t", ClassOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.query); got != tt.want {
				t.Errorf("Classify(%d bytes) = %q, want %q", len(tt.query), got, tt.want)
			}
		})
	}
}

// TestClassifyAllocs holds Classify to no allocation.
func TestClassifyAllocs(t *testing.T) {
	for _, q := range []string{
		"/* c */ WITH v AS (SELECT $$x$$) INSERT INTO t SELECT * FROM v",
		"START TRANSACTION",
		strings.Repeat(" ", 2*classifyLimit),
	} {
		if n := testing.AllocsPerRun(100, func() { Classify(q) }); n != 0 {
			t.Errorf("Classify(%.20q) allocates %v times", q, n)
		}
	}
}

// TestClassifyProperty checks that the class of a generated statement does
// not depend on the spaces and comments before it, on a WITH clause in
// front of a statement that may follow one, or on the case of its keyword.
func TestClassifyProperty(t *testing.T) {
	keywords := map[string]string{
		"select": ClassSelect, "values": ClassSelect, "table": ClassSelect,
		"insert": ClassInsert, "replace": ClassInsert, "upsert": ClassInsert,
		"update": ClassUpdate, "delete": ClassDelete, "merge": ClassMerge,
		"create": ClassDDL, "alter": ClassDDL, "drop": ClassDDL, "truncate": ClassDDL,
		"begin": ClassTx, "commit": ClassTx, "rollback": ClassTx, "savepoint": ClassTx,
		"pragma": ClassOther, "explain": ClassOther,
	}
	var names []string
	for k := range keywords {
		names = append(names, k)
	}
	slices.Sort(names)
	trivia := rapid.SampledFrom([]string{" ", "\t", "\n", "-- note\n", "/* note */", "/* -- */", "("})
	ctes := rapid.SampledFrom([]string{
		"WITH cte AS (SELECT ')' FROM u) ",
		"WITH RECURSIVE update(n) AS (SELECT 1), delete AS (SELECT $$)$$) ",
		"with a as materialized (/* ( */ select 1) ",
	})
	rapid.Check(t, func(t *rapid.T) {
		kw := rapid.SampledFrom(names).Draw(t, "keyword")
		want := keywords[kw]
		var b strings.Builder
		for _, s := range rapid.SliceOfN(trivia, 0, 5).Draw(t, "trivia") {
			b.WriteString(s)
		}
		if dmlClass(kw) != "" && rapid.Bool().Draw(t, "with") {
			b.WriteString(ctes.Draw(t, "cte"))
		}
		for i, upper := range rapid.SliceOfN(rapid.Bool(), len(kw), len(kw)).Draw(t, "upper") {
			if upper {
				b.WriteString(strings.ToUpper(kw[i : i+1]))
			} else {
				b.WriteByte(kw[i])
			}
		}
		b.WriteString(rapid.SampledFrom([]string{"", " ", " x", "(1)", " /* */ y", " RETURNING id"}).Draw(t, "rest"))
		if got := Classify(b.String()); got != want {
			t.Fatalf("Classify(%q) = %q, want %q", b.String(), got, want)
		}
	})
}

// FuzzClassify checks that Classify takes any input without panicking,
// returns one of the documented classes, and ignores spaces and comments in
// front.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"SELECT 1", "insert into t returning id", "WITH v AS (SELECT 1) DELETE FROM t", "/* x", "-- y", "'", "[",
		"(((", "\xff", "$$", "$a$ $a", "WITH $", "start transaction", "MERGE INTO t", "with recursive",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := Classify(q)
		if !slices.Contains(classes, got) {
			t.Fatalf("Classify(%q) = %q, not a documented class", q, got)
		}
		if len(q) > classifyLimit-16 {
			return // a prefix pushes the statement's end past the limit
		}
		for _, prefix := range []string{" ", "\n", "/* c */", "-- c\n"} {
			if again := Classify(prefix + q); again != got {
				t.Errorf("Classify(%q) = %q, but Classify(%q) = %q", q, got, prefix+q, again)
			}
		}
	})
}
