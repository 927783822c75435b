package source

import (
	"os"
	"path/filepath"
	"testing"
)

// A file that changes while it is read is not applied, and is read again
// once it holds still.
func TestFileChangedWhileRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan")
	if err := os.WriteFile(path, []byte("db.query=error(a);"), 0o644); err != nil {
		t.Fatal(err)
	}
	orig := readPlanFile
	t.Cleanup(func() { readPlanFile = orig })
	readPlanFile = func(p string, limit int64) ([]byte, error) {
		b, err := orig(p, limit)
		// The writer appends a second rule after the first was read.
		f, ferr := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if ferr != nil {
			t.Fatal(ferr)
		}
		defer f.Close()
		if _, ferr := f.WriteString("db.exec=error(b)"); ferr != nil {
			t.Fatal(ferr)
		}
		return b, err
	}
	s := File(path).(*fileSource)
	var got []Update
	yield := func(u Update) { got = append(got, u) }
	var st fileState
	s.check(&st, yield) // sees the file
	s.check(&st, yield) // reads it, while it is written
	if len(got) != 0 {
		t.Fatalf("a file read while written yielded %+v", got)
	}
	readPlanFile = orig
	s.check(&st, yield) // sees it has moved
	if len(got) != 0 {
		t.Fatalf("a file that just moved yielded %+v", got)
	}
	s.check(&st, yield) // reads it, now that it held still
	if len(got) != 1 || got[0].Err != nil || got[0].Plan.String() != "db.query=error(a);db.exec=error(b)" {
		t.Fatalf("next check yielded %+v, want the whole plan", got)
	}
}
