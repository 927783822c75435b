package admin

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/faultline-go/faultline/chaos"
)

//go:embed assets/page.html assets/login.html assets/style.css
var assets embed.FS

var (
	styleCSS = mustRead("assets/style.css")
	// csp allows the page's one inline style sheet, by its hash, and
	// nothing else to load or run; forms post only to the same origin.
	csp = "default-src 'none'; style-src 'sha256-" + hashCSS(styleCSS) + "'; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	pageTmpl  = template.Must(template.New("page.html").ParseFS(assets, "assets/page.html"))
	loginTmpl = template.Must(template.New("login.html").ParseFS(assets, "assets/login.html"))
)

func mustRead(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return string(b)
}

func hashCSS(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// pageEvents is how many recent events the page shows.
const pageEvents = 50

// pageData is what page.html renders.
type pageData struct {
	Style    template.CSS
	Status   string
	Instance string
	Seed     uint64
	Active   chaos.Active
	PlanText string
	Rules    []chaos.RuleStats
	// Unused counts the rules that Rules marks Unused.
	Unused   int
	Events   []eventView // newest first
	Counters Counters
	Runner   string
	CSRF     string

	// Points is one page of the points whose name contains Query: the
	// First-th to the Last-th of Matching, out of AllPoints in all. Prev
	// and Next link to the pages around it, when there are some.
	Points        []chaos.PointStats
	Query         string
	Page, Pages   int
	First, Last   int
	Matching      int
	AllPoints     int
	Prev, Next    string
	PointsPerPage int

	// Draft and DraftVersion fill the plan form; Error and Problems say
	// why the last one was rejected.
	Draft        string
	DraftVersion string
	Error        string
	Problems     []chaos.Problem
}

// pageData returns what the page shows, for a request with query v: the
// points page of ?q= and ?page= (a page out of range shows the nearest).
func (h *Handler) pageData(a auth, v url.Values) *pageData {
	act := h.e.Active()
	stats := h.e.Stats()
	d := &pageData{
		Style:         template.CSS(styleCSS),
		Status:        statusText(act),
		Instance:      h.e.Instance(),
		Seed:          h.e.Seed(),
		Active:        act,
		PlanText:      act.Plan.String(),
		Rules:         stats.Rules,
		Counters:      h.Counters(),
		CSRF:          a.csrf,
		AllPoints:     len(stats.Points),
		PointsPerPage: pagePoints,
	}
	for _, r := range stats.Rules {
		if r.Unused {
			d.Unused++
		}
	}
	d.Draft, d.DraftVersion = d.PlanText, act.Plan.Version
	q, err := parsePointsQuery(url.Values{"q": v["q"], "page": v["page"]}, pagePoints)
	if err != nil {
		q.page = 1
	}
	d.Points, d.Matching = q.apply(stats.Points)
	d.Pages = max(1, (d.Matching+pagePoints-1)/pagePoints)
	if q.page > d.Pages {
		q.page = d.Pages
		d.Points, _ = q.apply(stats.Points)
	}
	d.Query, d.Page = q.q, q.page
	d.First, d.Last = (q.page-1)*pagePoints+min(1, len(d.Points)), (q.page-1)*pagePoints+len(d.Points)
	if q.page > 1 {
		d.Prev = q.pageURL(q.page - 1)
	}
	if q.page < d.Pages {
		d.Next = q.pageURL(q.page + 1)
	}
	if h.events != nil {
		evs, _ := h.events.since(0)
		evs = evs[max(0, len(evs)-pageEvents):]
		slices.Reverse(evs)
		d.Events = evs
	}
	if raw := h.runner(); raw != nil {
		var buf bytes.Buffer
		if json.Indent(&buf, raw, "", "  ") == nil {
			d.Runner = buf.String()
		}
	}
	return d
}

func (h *Handler) servePage(w http.ResponseWriter, r *http.Request, a auth) {
	h.render(w, http.StatusOK, pageTmpl, h.pageData(a, r.URL.Query()))
}

// servePageKill is the page's kill switch button.
func (h *Handler) servePageKill(w http.ResponseWriter, r *http.Request, a auth) {
	h.kill(r, a)
	seeOther(w)
}

// servePageRearm is the page's re-arm button.
func (h *Handler) servePageRearm(w http.ResponseWriter, r *http.Request, a auth) {
	h.rearm(r, a)
	seeOther(w)
}

// servePagePlan is the page's plan form: the plan in either form, and an
// optional version.
func (h *Handler) servePagePlan(w http.ResponseWriter, r *http.Request, a auth) {
	if err := r.ParseForm(); err != nil {
		writeBodyError(w, err, "admin: reading plan form")
		return
	}
	text := r.PostForm.Get("plan")
	version := strings.TrimSpace(r.PostForm.Get("version"))
	p, err := chaos.ParsePlan(text)
	if err == nil {
		if p.Version == "" {
			p.Version = version
		}
		err = h.e.Apply(p, chaos.FromSource(sourceName))
	}
	if err == nil {
		h.accepted(r, a)
		seeOther(w)
		return
	}
	h.rejected.Add(1)
	h.logChange(r, a, slog.LevelWarn, "faultline admin: plan rejected", "error", err)
	d := h.pageData(a, r.URL.Query())
	d.Draft, d.DraftVersion = text, version
	d.Error = err.Error()
	code := http.StatusUnprocessableEntity
	var pe *chaos.PlanError
	switch {
	case errors.As(err, &pe):
		d.Error, d.Problems = pe.Err.Error(), pe.Problems
	case errors.Is(err, chaos.ErrDisabled):
		code, d.Error = http.StatusConflict, "The kill switch is thrown: re-arm first, then apply the plan again."
	}
	h.render(w, code, pageTmpl, d)
}

// renderLogin shows the login form with an optional message.
func (h *Handler) renderLogin(w http.ResponseWriter, code int, msg string) {
	h.render(w, code, loginTmpl, struct {
		Style   template.CSS
		Message string
	}{template.CSS(styleCSS), msg})
}

// render executes t into a buffer, so that a template error answers 500
// rather than half a page.
func (h *Handler) render(w http.ResponseWriter, code int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		h.log.Error("faultline admin: rendering page", "error", err)
		writeError(w, http.StatusInternalServerError, "admin: rendering page: "+err.Error(), nil)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", csp)
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// seeOther redirects to the page with 303 See Other. The Location is the
// relative "./", which the browser resolves against the URL it asked for:
// http.Redirect would resolve it against r.URL.Path, which lacks the
// prefix http.StripPrefix removed.
func seeOther(w http.ResponseWriter) {
	w.Header().Set("Location", "./")
	w.WriteHeader(http.StatusSeeOther)
}
