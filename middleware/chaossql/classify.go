package chaossql

import "strings"

// StmtLabel is the key of the label that carries a statement's class at the
// points that run a statement (prepare, exec, query and rows): a rule
// selects a class with "label.stmt=", as in "sql.*=error[label.stmt=insert]".
const StmtLabel = "stmt"

// The statement classes, the values of the [StmtLabel] label that
// [Classify] returns. A class says what a statement does, whichever driver
// method carries it: an INSERT … RETURNING runs through sql.query and is an
// insert.
const (
	// ClassSelect is a read: SELECT, VALUES or TABLE, or WITH … followed
	// by one of them.
	ClassSelect = "select"
	// ClassInsert is INSERT, with or without RETURNING or ON CONFLICT /
	// ON DUPLICATE KEY (an upsert), REPLACE and UPSERT, or WITH … followed
	// by one of them.
	ClassInsert = "insert"
	// ClassUpdate is UPDATE, or WITH … UPDATE.
	ClassUpdate = "update"
	// ClassDelete is DELETE, or WITH … DELETE.
	ClassDelete = "delete"
	// ClassMerge is MERGE, or WITH … MERGE, which may insert, update and
	// delete in one statement.
	ClassMerge = "merge"
	// ClassDDL changes the schema: CREATE, ALTER, DROP, TRUNCATE, RENAME.
	ClassDDL = "ddl"
	// ClassTx controls a transaction: BEGIN, START TRANSACTION, COMMIT,
	// END, ROLLBACK, ABORT, SAVEPOINT, RELEASE.
	ClassTx = "tx"
	// ClassOther is anything else: PRAGMA, SET, SHOW, EXPLAIN, CALL, GRANT,
	// a WITH whose main statement is not found, an empty statement.
	ClassOther = "other"
)

// classifyLimit is how much of a statement Classify reads at most.
const classifyLimit = 16 << 10

// Classify returns the class of the SQL statement query: one of
// [ClassSelect], [ClassInsert], [ClassUpdate], [ClassDelete], [ClassMerge],
// [ClassDDL], [ClassTx] and [ClassOther], never anything else.
//
// The class comes from the first keyword after white space, comments ("--"
// to the end of the line, "/* */") and opening parentheses, in any case.
// After WITH [RECURSIVE] it is the keyword of the main statement: the first
// of SELECT, VALUES, TABLE, INSERT, REPLACE, UPSERT, UPDATE, DELETE and
// MERGE found outside parentheses, comments, and quoted strings and names
// (in single quotes, double quotes, backquotes, brackets, or PostgreSQL
// $tag$ dollar quotes), and not in the place of a common table
// expression's name, so "WITH v AS (SELECT 1) INSERT INTO t SELECT * FROM
// v" is an insert.
// Only the first statement of a string holding several counts.
//
// Classify reads at most the first 16 KiB of query, so its work is
// bounded however long the statement; a WITH whose main statement starts
// later is [ClassOther]. It allocates nothing and is safe for concurrent
// use.
func Classify(query string) string {
	q := query
	if len(q) > classifyLimit {
		// Drop a word the limit cut, so that "DELETED" cut to "DELETE"
		// cannot count as a keyword.
		q = q[:classifyLimit]
		for len(q) > 0 && isWordByte(q[len(q)-1]) {
			q = q[:len(q)-1]
		}
	}
	i := 0
	for {
		i = skipSpace(q, i)
		if i < len(q) && q[i] == '(' {
			i++
			continue
		}
		break
	}
	w, i := word(q, i)
	if strings.EqualFold(w, "with") {
		return classifyWith(q, i)
	}
	if k := dmlClass(w); k != "" {
		return k
	}
	if k := leadClass(w); k != "" {
		if k == ClassTx && strings.EqualFold(w, "start") {
			// START TRANSACTION, but not MySQL's START REPLICA.
			if next, _ := word(q, skipSpace(q, i)); !strings.EqualFold(next, "transaction") {
				return ClassOther
			}
		}
		return k
	}
	return ClassOther
}

// keyword is a statement's first (or main) keyword and its class.
type keyword struct{ word, class string }

// dmlKeywords are the keywords that may follow a WITH clause.
var dmlKeywords = []keyword{
	{"select", ClassSelect}, {"values", ClassSelect}, {"table", ClassSelect},
	{"insert", ClassInsert}, {"upsert", ClassInsert}, {"replace", ClassInsert},
	{"update", ClassUpdate}, {"delete", ClassDelete}, {"merge", ClassMerge},
}

// leadKeywords are the keywords of DDL and transaction control.
var leadKeywords = []keyword{
	{"create", ClassDDL}, {"alter", ClassDDL}, {"drop", ClassDDL}, {"truncate", ClassDDL}, {"rename", ClassDDL},
	{"begin", ClassTx}, {"start", ClassTx}, {"commit", ClassTx}, {"end", ClassTx},
	{"rollback", ClassTx}, {"abort", ClassTx}, {"savepoint", ClassTx}, {"release", ClassTx},
}

// keywordClass returns the class of the keyword of keywords that w is, in
// any case, or "" if w is none of them.
func keywordClass(keywords []keyword, w string) string {
	for _, k := range keywords {
		if len(k.word) == len(w) && strings.EqualFold(k.word, w) {
			return k.class
		}
	}
	return ""
}

// dmlClass returns the class of a statement whose main keyword is w, for
// the keywords that may follow a WITH clause, or "" for any other word.
func dmlClass(w string) string { return keywordClass(dmlKeywords, w) }

// leadClass returns the class of a statement that starts with w, for the
// keywords of DDL and transaction control, or "" for any other word.
func leadClass(w string) string { return keywordClass(leadKeywords, w) }

// classifyWith finds the main statement after a WITH clause whose first
// token starts at q[i]: the first keyword of dmlClass at parenthesis depth
// 0 that is not where a common table expression's name goes (right after
// WITH, RECURSIVE or a comma at depth 0).
func classifyWith(q string, i int) string {
	depth := 0
	namePos := true // the next word at depth 0 names a CTE
	for i < len(q) {
		i = skipSpace(q, i)
		if i >= len(q) {
			break
		}
		switch c := q[i]; {
		case c == '(':
			depth++
			i++
		case c == ')':
			if depth > 0 {
				depth--
			}
			i++
		case c == '\'' || c == '"' || c == '`':
			i = skipPast(q, i+1, c)
		case c == '[':
			i = skipPast(q, i+1, ']')
		case c == '$' && dollarTag(q, i) > 0:
			n := dollarTag(q, i)
			if j := strings.Index(q[i+n:], q[i:i+n]); j >= 0 {
				i += n + j + n
			} else {
				i = len(q)
			}
		case isWordByte(c):
			var w string
			w, i = word(q, i)
			if depth > 0 {
				continue
			}
			if namePos {
				namePos = strings.EqualFold(w, "recursive")
				continue
			}
			if k := dmlClass(w); k != "" {
				return k
			}
		default:
			if depth == 0 {
				namePos = c == ','
			}
			i++
		}
	}
	return ClassOther
}

// dollarTag returns the length of the PostgreSQL dollar-quote tag ("$$",
// "$body$") at q[i], or 0 if there is none there ("$1" is a parameter).
func dollarTag(q string, i int) int {
	for j := i + 1; j < len(q); j++ {
		switch c := q[j]; {
		case c == '$':
			return j - i + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80:
		case c >= '0' && c <= '9' && j > i+1:
		default:
			return 0
		}
	}
	return 0
}

// skipSpace returns the index of the first byte at or after i that is
// neither white space nor inside a comment.
func skipSpace(q string, i int) int {
	for i < len(q) {
		switch c := q[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			if j := strings.IndexByte(q[i+2:], '\n'); j >= 0 {
				i += 2 + j + 1
			} else {
				i = len(q)
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			if j := strings.Index(q[i+2:], "*/"); j >= 0 {
				i += 2 + j + 2
			} else {
				i = len(q)
			}
		default:
			return i
		}
	}
	return i
}

// skipPast returns the index just past the first byte end at or after i,
// or len(q) if there is none. A doubled quote inside a quoted string reads
// as two strings, which skips it the same.
func skipPast(q string, i int, end byte) int {
	if j := strings.IndexByte(q[i:], end); j >= 0 {
		return i + j + 1
	}
	return len(q)
}

// word returns the run of word bytes at q[i] and the index after it.
func word(q string, i int) (string, int) {
	j := i
	for j < len(q) && isWordByte(q[j]) {
		j++
	}
	return q[i:j], j
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}
