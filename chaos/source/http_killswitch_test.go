package source_test

import (
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
)

// The kill switch holds against everything an HTTP source yields, and
// only a re-arm lets the document's plan apply again.
func TestHTTPKillSwitch(t *testing.T) {
	tests := []struct {
		name  string
		after func(rig *httpRig) // what happens while the switch is thrown
		plan  string             // the plan after the re-arm
	}{
		{
			name: "document edited",
			after: func(rig *httpRig) {
				rig.srv.set(func(s *planServer) { s.body, s.etag = "db.query=error(b)", `"b"` })
				tick(30 * time.Second)
			},
			plan: "db.query=error(b)",
		},
		{
			name: "stale, then the same document back",
			after: func(rig *httpRig) {
				rig.srv.set(func(s *planServer) { s.hang = true })
				tick(2 * time.Minute)
				if s := rig.r.Status(); !s.Stale {
					rig.t.Fatalf("status = %+v, want stale", s)
				}
				rig.srv.set(func(s *planServer) { s.hang = false })
				tick(time.Minute)
				if s := rig.r.Status(); s.Stale || s.Held == 0 {
					rig.t.Fatalf("status = %+v, want the document back and held", s)
				}
			},
			plan: "db.query=error(a)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &planServer{body: "db.query=error(a)", etag: `"a"`}
				rig := newHTTPRig(t, srv, source.WithStaleAfter(2*time.Minute))
				rig.wantPlan("first poll", "db.query=error(a)")
				rig.eng.Disable("test: alice")
				tt.after(rig)
				tick(10 * time.Minute)
				rig.wantPlan("killed", "")
				if !rig.eng.Disabled() {
					t.Fatal("the source undid the kill switch")
				}
				if s := rig.r.Status(); !s.Holding || s.Err != nil {
					t.Errorf("status = %+v, want holding and no error", s)
				}

				rig.eng.Rearm("test: alice")
				tick(source.DefaultRearmCheck)
				rig.wantPlan("re-armed", tt.plan)
				if s := rig.r.Status(); s.Holding || s.Applied != 2 {
					t.Errorf("status = %+v, want 2 applied and nothing held", s)
				}
			})
		})
	}
}

// With the runner's own check off, the next poll after a re-arm applies
// the document, though it did not change.
func TestHTTPRearmNextPoll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &planServer{body: "db.query=error(a)"} // no ETag: every poll brings the document
		rig := newHTTPRigRunner(t, srv, []source.RunnerOption{source.WithRearmCheck(-1)})
		rig.wantPlan("first poll", "db.query=error(a)")
		rig.eng.Disable("test: alice")
		tick(time.Minute)
		rig.wantPlan("killed", "")
		rig.eng.Rearm("test: alice")
		tick(29 * time.Second)
		rig.wantPlan("re-armed, before the next poll", "")
		tick(time.Second)
		rig.wantPlan("re-armed, at the next poll", "db.query=error(a)")
	})
}

// Against a real server: a kill switch holds while the document changes,
// and the new document applies once the engine is re-armed.
func TestHTTPRealServerKillSwitch(t *testing.T) {
	srv := &planServer{body: "db.query=error(a)", etag: `"a"`}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	updates := make(chan source.RunnerStatus, 1024)
	e := chaos.New()
	r := source.NewRunner(e, source.HTTP(ts.URL, source.WithInterval(5*time.Millisecond)),
		source.WithRearmCheck(5*time.Millisecond),
		source.WithOnUpdate(func(s source.RunnerStatus) {
			select {
			case updates <- s:
			default:
			}
		}))
	stop := run(t, r)
	defer stop()
	waitFor := func(what string, ok func(source.RunnerStatus) bool) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case s := <-updates:
				if ok(s) {
					return
				}
			case <-timeout:
				t.Fatalf("no update in 10s with %s; status %+v", what, r.Status())
			}
		}
	}
	waitFor("the first plan", func(s source.RunnerStatus) bool { return s.Applied == 1 })
	e.Disable("test: alice")
	srv.set(func(s *planServer) { s.body, s.etag = "db.query=error(b)", `"b"` })
	waitFor("the new document held", func(s source.RunnerStatus) bool { return s.Held == 1 })
	if !e.Disabled() || e.Plan().String() != "" {
		t.Fatalf("the new document undid the kill switch: plan %q", e.Plan())
	}
	e.Rearm("test: alice")
	waitFor("the new document applied", func(s source.RunnerStatus) bool { return s.Applied == 2 })
	if got := e.Plan().String(); got != "db.query=error(b)" {
		t.Errorf("plan = %q after the re-arm", got)
	}
	if got := e.Active().Source; got != ts.URL+"@b" {
		t.Errorf("source = %q", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
