package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/internal/testservers"
)

// TestPageInBrowser logs in to the page in headless Chromium, finds a point
// that was evaluated and a rule marked unused, throws the kill switch and
// re-arms. The handler is mounted under a prefix, as in a service.
func TestPageInBrowser(t *testing.T) {
	browser := testservers.Browser(t)
	if testing.Short() {
		t.Skip("starts a headless Chromium (a few seconds); skipped with -short")
	}

	// The engine reports unused rules at once, so that the page marks the
	// second rule, whose point nothing calls.
	e := newEngine(t, chaos.WithInstance("test-1"), chaos.WithUnusedRuleAfter(time.Nanosecond))
	h := New(e, WithToken(testToken))
	t.Cleanup(func() { h.Close() })
	if err := e.Apply(chaos.MustParsePlan("checkout.pay=2*error(declined);checkout.refnd=error"), chaos.FromSource("test")); err != nil {
		t.Fatal(err)
	}
	fire(e, "checkout.pay", 3)
	mux := http.NewServeMux()
	mux.Handle("/debug/faultline/", http.StripPrefix("/debug/faultline", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.DisableGPU,
		// This sandbox has no outside network: keep Chromium from trying.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	defer cancelBrowser()

	// Log in: the page answers the login form, which sets the cookie and
	// redirects back.
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/debug/faultline/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), testToken),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("points")),
	)
	if err != nil {
		t.Fatalf("logging in: %v", err)
	}
	points, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("points")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(points, "checkout.pay") {
		t.Errorf("points table does not list checkout.pay:\n%s", points)
	}
	// The unused rule is marked, visibly, next to its pattern, under a
	// warning; the rule that fired is not.
	err = chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("unused")), chromedp.WaitVisible(chromedp.ID("unused-1")))
	if err != nil {
		t.Fatalf("unused rule: %v", err)
	}
	rules, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("rules")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rules, "checkout.refnd unused") {
		t.Errorf("rules table does not mark checkout.refnd unused:\n%s", rules)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#rules .badge").length`)); err != nil || n != 1 {
		t.Errorf("rules marked unused: %d (%v), want 1", n, err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("status")))
	if err != nil {
		t.Fatal(err)
	}
	if status != "armed" {
		t.Errorf("status %q before the kill switch, want armed", status)
	}

	// The kill switch posts the form; the page comes back disabled.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("kill")),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="disabled"]`)),
	)
	if err != nil {
		t.Fatalf("kill switch: %v", err)
	}
	status, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("status")))
	if err != nil {
		t.Fatal(err)
	}
	if status != "disabled" {
		t.Errorf("status %q after the kill switch, want disabled", status)
	}
	if !e.Disabled() {
		t.Error("engine not disabled after clicking the kill switch")
	}
	reason, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("disabled-reason")))
	if err != nil {
		t.Fatal(err)
	}
	if want := e.Active().DisabledReason; reason != want || !strings.HasPrefix(reason, "admin: ") {
		t.Errorf("page gives the reason %q, engine %q", reason, want)
	}

	// Re-arm posts its form; the page comes back armed, saying who
	// re-armed, without the button.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("rearm")),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="armed"]`)),
	)
	if err != nil {
		t.Fatalf("re-arm: %v", err)
	}
	rearmed, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("rearmed")))
	if err != nil {
		t.Fatal(err)
	}
	if e.Disabled() || !strings.Contains(rearmed, e.Active().RearmedBy) {
		t.Errorf("after re-arm: disabled %v, page says re-armed %q", e.Disabled(), rearmed)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#rearm").length`)); err != nil || n != 0 {
		t.Errorf("re-arm buttons after re-arming: %d (%v), want none", n, err)
	}
	if c := h.Counters(); c.Logins != 1 || c.Kills != 1 || c.Rearms != 1 {
		t.Errorf("counters %+v, want 1 login, 1 kill and 1 re-arm", c)
	}
	if err := chromedp.Cancel(ctx); err != nil {
		t.Errorf("closing the browser: %v", err)
	}
}
