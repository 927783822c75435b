package chaos_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// TestUnusedRule: a rule that names no evaluated point is logged once at
// Warn and marked in Stats after the configured time, and not before.
func TestUnusedRule(t *testing.T) {
	tests := []struct {
		name       string
		opt        []chaos.Option
		after      time.Duration // when to look
		wantUnused bool
	}{
		{"default, before a minute", nil, 59 * time.Second, false},
		{"default, after a minute", nil, time.Minute + time.Second, true},
		{"configured", []chaos.Option{chaos.WithUnusedRuleAfter(5 * time.Second)}, 6 * time.Second, true},
		{"off", []chaos.Option{chaos.WithUnusedRuleAfter(-1)}, time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var buf strings.Builder
				var mu sync.Mutex
				e := chaos.New(append([]chaos.Option{chaos.WithSeed(1), chaos.WithLogger(newTextLogger(&buf, &mu))}, tt.opt...)...)
				if err := e.Apply(chaos.MustParsePlan(`"GET /orderz/{id}"=error;"GET /orders/{id}"=1%error;off=0%error`)); err != nil {
					t.Fatal(err)
				}
				_ = e.Point("GET /orders/{id}").Inject(context.Background())
				time.Sleep(tt.after)
				synctest.Wait()
				rules := e.Stats().Rules
				if rules[0].Unused != tt.wantUnused || rules[1].Unused || rules[2].Unused {
					t.Errorf("Unused = %v %v %v, want %v false false", rules[0].Unused, rules[1].Unused, rules[2].Unused, tt.wantUnused)
				}
				mu.Lock()
				defer mu.Unlock()
				n := strings.Count(buf.String(), "rule names no point that was evaluated")
				if want := map[bool]int{true: 1, false: 0}[tt.wantUnused]; n != want || (n == 1 && !strings.Contains(buf.String(), `point="GET /orderz/{id}"`)) {
					t.Errorf("logged %d warnings, want %d:\n%s", n, want, buf.String())
				}
			})
		})
	}
}
