package source_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
)

// FuzzHTTPDocument serves arbitrary documents to the HTTP source: each is
// either a valid plan or an error the runner can branch on, and nothing
// panics.
func FuzzHTTPDocument(f *testing.F) {
	for _, s := range []string{
		"", "db.query=error(timeout)", `{"version":"v1","rules":[{"point":"x","fault":"abort"}]}`,
		"{", "x=10%delay(1s,2s)[ttl=1m,label.t=a]", "\x00\xff", `{"rules":[{"point":"x","fault":"abort","rate":2}]}`,
	} {
		f.Add([]byte(s))
	}
	const limit = 4096
	f.Fuzz(func(t *testing.T, body []byte) {
		srv := &planServer{body: string(body)}
		src := source.HTTP(planURL, source.WithClient(&http.Client{Transport: memTransport{srv}}), source.WithMaxBytes(limit))
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var got source.Update
		if err := src.Watch(ctx, func(u source.Update) { got = u; cancel() }); err != nil {
			t.Fatal(err)
		}
		switch {
		case got.Err == nil && len(body) > limit:
			t.Fatalf("a %d-byte document was accepted", len(body))
		case got.Err == nil:
			if err := got.Plan.Validate(); err != nil {
				t.Fatalf("accepted plan does not validate: %v", err)
			}
		case !errors.Is(got.Err, chaos.ErrInvalidPlan) && !errors.Is(got.Err, source.ErrTooLarge):
			t.Fatalf("error %v matches neither ErrInvalidPlan nor ErrTooLarge", got.Err)
		}
	})
}
