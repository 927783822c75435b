package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
)

// ExampleNew mounts the admin handler under a prefix and drives its JSON
// API: replace the plan, read the counters, have a bad plan refused, throw
// the kill switch, have a plan refused until re-arming, and re-arm.
func ExampleNew() {
	engine := chaos.New(chaos.WithSeed(42))
	h := admin.New(engine, admin.WithToken("use-32-random-bytes-in-production"))
	defer h.Close()

	mux := http.NewServeMux()
	mux.Handle("/debug/faultline/", http.StripPrefix("/debug/faultline", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	call := func(method, path, contentType, body string) (string, string) {
		req, _ := http.NewRequest(method, srv.URL+"/debug/faultline/"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer use-32-random-bytes-in-production")
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			return err.Error(), ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Status, string(b)
	}

	status, _ := call("PUT", "api/plan", "text/plain", "db.query=2*error(timeout)")
	fmt.Println("PUT api/plan:", status)

	query := engine.Point("db.query")
	for range 3 {
		fmt.Println(query.Inject(context.Background()))
	}

	_, body := call("GET", "api/stats", "", "")
	var stats chaos.Stats
	json.Unmarshal([]byte(body), &stats)
	for _, p := range stats.Points {
		fmt.Printf("%s: %d evaluations, %d fired\n", p.Point, p.Evaluations, p.Fired)
	}

	status, body = call("PUT", "api/plan", "application/json",
		`{"rules":[{"point":"db.query","fault":"error(timeout)","rate":2}]}`)
	fmt.Println("PUT api/plan:", status)
	fmt.Print(body)

	status, _ = call("POST", "api/kill", "", "")
	fmt.Println("POST api/kill:", status, "disabled:", engine.Disabled())
	fmt.Println("reason:", engine.Active().DisabledReason)

	status, body = call("PUT", "api/plan", "text/plain", "db.query=error")
	fmt.Println("PUT api/plan:", status)
	fmt.Print(body)

	status, _ = call("POST", "api/rearm", "", "")
	fmt.Println("POST api/rearm:", status, "disabled:", engine.Disabled())
	status, _ = call("PUT", "api/plan", "text/plain", "db.query=error")
	fmt.Println("PUT api/plan:", status)

	req, _ := http.NewRequest("GET", srv.URL+"/debug/faultline/api/plan", nil)
	resp, _ := srv.Client().Do(req)
	resp.Body.Close()
	fmt.Println("without the token:", resp.Status)
	// Output:
	// PUT api/plan: 200 OK
	// faultline: injected error at db.query: timeout
	// faultline: injected error at db.query: timeout
	// <nil>
	// db.query: 3 evaluations, 2 fired
	// PUT api/plan: 422 Unprocessable Entity
	// {"error":"chaos: invalid plan","code":"invalid_plan","problems":[{"path":"rules[0].rate","message":"2 is outside [0,1]"}]}
	// POST api/kill: 200 OK disabled: true
	// reason: admin: 127.0.0.1
	// PUT api/plan: 409 Conflict
	// {"error":"admin: the kill switch is thrown (admin: 127.0.0.1): re-arm first (POST api/rearm, or Re-arm on the page), then apply the plan again","code":"disabled"}
	// POST api/rearm: 200 OK disabled: false
	// PUT api/plan: 200 OK
	// without the token: 401 Unauthorized
}

// ExampleWithSourceStatus shows what feeds the engine plans on api/status
// and on the page.
func ExampleWithSourceStatus() {
	engine := chaos.New(chaos.WithSeed(7), chaos.WithInstance("web-1"))
	h := admin.New(engine,
		admin.WithToken("use-32-random-bytes-in-production"),
		admin.WithSourceStatus(func() any {
			return map[string]any{"source": "http", "etag": "v12", "last_error": nil}
		}))
	defer h.Close()

	req := httptest.NewRequest("GET", "/api/status", nil)
	req.Header.Set("Authorization", "Bearer use-32-random-bytes-in-production")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	fmt.Print(w.Body)
	// Output:
	// {"status":"armed","armed":false,"instance":"web-1","seed":7,"generation":0,"counters":{"applied":0,"rejected":0,"kills":0,"rearms":0,"logins":0,"denied":0,"throttled":0,"events":0},"unused_rules":[],"runner":{"etag":"v12","last_error":null,"source":"http"}}
}

// ExampleHandler_Counters counts the changes made through the handler.
func ExampleHandler_Counters() {
	engine := chaos.New(chaos.WithSeed(1))
	h := admin.New(engine, admin.WithToken("use-32-random-bytes-in-production"))
	defer h.Close()
	serve := func(method, path, token, body string) int {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	const token = "use-32-random-bytes-in-production"
	fmt.Println(serve("PUT", "/api/plan", token, "cache.get=10%delay(50ms)"))
	fmt.Println(serve("PUT", "/api/plan", token, "cache.get=delay(forever)"))
	fmt.Println(serve("POST", "/api/kill", "guess", ""))
	fmt.Println(serve("POST", "/api/kill", token, ""))
	fmt.Printf("%+v\n", h.Counters())
	// Output:
	// 200
	// 422
	// 401
	// 200
	// {Applied:1 Rejected:1 Kills:1 Rearms:0 Logins:0 Denied:1 Throttled:0 Events:0}
}

// ExampleWithTrustedProxies serves the handler behind a proxy at 10.0.0.0/8
// that terminates TLS: only a request from the proxy gets a Secure session
// cookie for X-Forwarded-Proto: https, and is taken to come from the
// X-Forwarded-For address, which the kill switch's reason names.
func ExampleWithTrustedProxies() {
	const token = "use-32-random-bytes-in-production"
	engine := chaos.New(chaos.WithSeed(1))
	h := admin.New(engine, admin.WithToken(token), admin.WithTrustedProxies("10.0.0.0/8"))
	defer h.Close()

	for _, peer := range []string{"10.0.3.4:4711", "203.0.113.9:4711"} {
		req := httptest.NewRequest("POST", "/login", strings.NewReader("token="+token))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.RemoteAddr = peer
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		fmt.Println("login from", peer, "Secure cookie:", w.Result().Cookies()[0].Secure)
	}

	req := httptest.NewRequest("POST", "/api/kill", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Forwarded-For", "198.51.100.7, 10.0.9.9")
	req.RemoteAddr = "10.0.3.4:4711"
	h.ServeHTTP(httptest.NewRecorder(), req)
	fmt.Println("kill switch:", engine.Active().DisabledReason)
	// Output:
	// login from 10.0.3.4:4711 Secure cookie: true
	// login from 203.0.113.9:4711 Secure cookie: false
	// kill switch: admin: 198.51.100.7
}

// ExampleWithLoginThrottle lets a client address fail twice: its next
// attempt must wait, and is refused without the token being checked.
func ExampleWithLoginThrottle() {
	const token = "use-32-random-bytes-in-production"
	h := admin.New(chaos.New(chaos.WithSeed(1)), admin.WithToken(token), admin.WithLoginThrottle(2))
	defer h.Close()
	for _, try := range []string{"guess-1", "guess-2", token} {
		req := httptest.NewRequest("GET", "/api/status", nil)
		req.Header.Set("Authorization", "Bearer "+try)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		fmt.Printf("%d Retry-After=%q\n", w.Code, w.Header().Get("Retry-After"))
	}
	fmt.Println("throttled:", h.Counters().Throttled)
	// Output:
	// 401 Retry-After=""
	// 401 Retry-After=""
	// 429 Retry-After="1"
	// throttled: 1
}

// ExampleNewClient drives a service's admin handler from another process:
// apply a plan on condition that nobody changed the engine since it was
// read, have a stale apply refused, and throw the kill switch.
func ExampleNewClient() {
	const token = "use-32-random-bytes-in-production"
	engine := chaos.New(chaos.WithSeed(42), chaos.WithInstance("web-1"))
	h := admin.New(engine, admin.WithToken(token))
	defer h.Close()
	mux := http.NewServeMux()
	mux.Handle("/debug/faultline/", http.StripPrefix("/debug/faultline", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, err := admin.NewClient(srv.URL+"/debug/faultline", token, admin.WithHTTPClient(srv.Client()))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	read, _ := c.Plan(ctx)
	st, err := c.ApplyIf(ctx, chaos.MustParsePlan("db.query=5%error(timeout)"), read.Generation)
	fmt.Println("applied:", st.Text, err)
	_, err = c.ApplyIf(ctx, chaos.MustParsePlan("db.query=abort"), read.Generation)
	fmt.Println("stale:", errors.Is(err, chaos.ErrConflict))
	status, _ := c.Status(ctx)
	fmt.Println("status:", status.Instance, status.Status, "armed:", status.Armed)
	killed, _ := c.Kill(ctx, "checkout errors")
	fmt.Println("killed:", killed.Disabled, strings.HasSuffix(killed.DisabledReason, ": checkout errors"))
	_, err = c.Apply(ctx, chaos.MustParsePlan("db.query=abort"))
	fmt.Println("apply after kill:", errors.Is(err, chaos.ErrDisabled))
	// Output:
	// applied: db.query=5%error(timeout) <nil>
	// stale: true
	// status: web-1 armed armed: true
	// killed: true true
	// apply after kill: true
}
