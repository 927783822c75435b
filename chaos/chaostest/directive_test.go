package chaostest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

func TestAttachDirective(t *testing.T) {
	key := chaos.DirectiveKey{ID: "t", Secret: []byte(strings.Repeat("k", 32))}
	token := chaostest.Directive(t, key, "payments.charge=error")
	if _, err := chaos.VerifyDirective(token, time.Now(), key); err != nil {
		t.Fatalf("the minted token does not verify: %v", err)
	}
	tests := []struct {
		name, before, want string
	}{
		{"no baggage", "", "faultline=" + token},
		{"other members", "user=alice, session=7", "user=alice,session=7,faultline=" + token},
		{"a directive already", "faultline=old,user=alice", "user=alice,faultline=" + token},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			if tt.before != "" {
				req.Header.Set("Baggage", tt.before)
			}
			chaostest.AttachDirective(req, token)
			if got := req.Header.Get("Baggage"); got != tt.want {
				t.Errorf("baggage = %q, want %q", got, tt.want)
			}
		})
	}
}

func ExampleAttachDirective() {
	key := chaos.DirectiveKey{ID: "test", Secret: []byte(strings.Repeat("s", 32))}
	e := chaos.New(chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true}}), chaos.WithDirectiveKeys(key))
	charge := e.Point("payments.charge")
	srv := httptest.NewServer(chaoshttp.Middleware(e)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := charge.Inject(r.Context()); errors.Is(err, faults.ErrInjected) {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})))
	defer srv.Close()

	// In a test: token := chaostest.Directive(t, key, "payments.charge=error(declined)")
	token, err := chaos.MintDirective(chaos.MustParsePlan("payments.charge=error(declined)"), key, time.Minute)
	if err != nil {
		panic(err)
	}
	for _, directed := range []bool{true, false} {
		req, _ := http.NewRequestWithContext(context.Background(), "POST", srv.URL, nil)
		if directed {
			chaostest.AttachDirective(req, token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println("directive:", directed, "status:", resp.StatusCode)
	}
	// Output:
	// directive: true status: 503
	// directive: false status: 200
}
