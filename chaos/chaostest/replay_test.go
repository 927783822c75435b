package chaostest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/chaos/gameday"
)

// TestReplay: the replayed engine has the report's seed, instance and
// plan, and a report that cannot be replayed fails the test with its
// reason.
func TestReplay(t *testing.T) {
	good := &gameday.Report{
		Schema: gameday.ReportSchema, Title: "payments", Seed: 42, Instance: "replay",
		Plan: chaos.MustParsePlan("payments.charge=10%error(declined)"),
	}
	dir := t.TempDir()
	goodPath := filepath.Join(dir, "good.json")
	j, err := good.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goodPath, j, 0o644); err != nil {
		t.Fatal(err)
	}
	oldPath := filepath.Join(dir, "old.json")
	if err := os.WriteFile(oldPath, []byte(`{"schema":"faultline.report/v0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := *good
	bad.Plan = chaos.Plan{Rules: []chaos.Rule{{Point: "x", Rate: 2}}}

	tests := []struct {
		name    string
		replay  func(tb testing.TB) *chaos.Engine
		wantErr string // "" for a replay that works
	}{
		{"report", func(tb testing.TB) *chaos.Engine { return chaostest.Replay(tb, good) }, ""},
		{"file", func(tb testing.TB) *chaos.Engine { return chaostest.ReplayFile(tb, goodPath) }, ""},
		{"nil report", func(tb testing.TB) *chaos.Engine { return chaostest.Replay(tb, nil) }, "nil report"},
		{"bad plan", func(tb testing.TB) *chaos.Engine { return chaostest.Replay(tb, &bad) }, `replaying report "payments"`},
		{"missing file", func(tb testing.TB) *chaos.Engine { return chaostest.ReplayFile(tb, filepath.Join(dir, "none.json")) }, "reading report"},
		{"other schema", func(tb testing.TB) *chaos.Engine { return chaostest.ReplayFile(tb, oldPath) }, "report schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTB{name: t.Name()}
			var e *chaos.Engine
			f.do(func() { e = tt.replay(f) })
			f.finish()
			if tt.wantErr != "" {
				if !f.failed || len(f.errs) != 1 || !strings.Contains(f.errs[0], tt.wantErr) {
					t.Fatalf("errors %q, want one containing %q", f.errs, tt.wantErr)
				}
				return
			}
			if f.failed {
				t.Fatalf("replay failed: %q", f.errs)
			}
			if e.Seed() != good.Seed || e.Instance() != good.Instance || !e.Plan().Equal(good.Plan) {
				t.Errorf("replayed engine: seed %d instance %q plan %q; want %d %q %q",
					e.Seed(), e.Instance(), e.Plan(), good.Seed, good.Instance, good.Plan)
			}
			if src := e.Active().Source; src != "replay: payments" {
				t.Errorf("source %q, want %q", src, "replay: payments")
			}
		})
	}
}
