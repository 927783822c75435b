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
	Stats    chaos.Stats
	Events   []eventView // newest first
	Counters Counters
	Runner   string
	CSRF     string

	// Draft and DraftVersion fill the plan form; Error and Problems say
	// why the last one was rejected.
	Draft        string
	DraftVersion string
	Error        string
	Problems     []chaos.Problem
}

func (h *Handler) pageData(a auth) *pageData {
	act := h.e.Active()
	d := &pageData{
		Style:    template.CSS(styleCSS),
		Status:   statusText(h.e),
		Instance: h.e.Instance(),
		Seed:     h.e.Seed(),
		Active:   act,
		PlanText: act.Plan.String(),
		Stats:    h.e.Stats(),
		Counters: h.Counters(),
		CSRF:     a.csrf,
	}
	d.Draft, d.DraftVersion = d.PlanText, act.Plan.Version
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
	h.render(w, http.StatusOK, pageTmpl, h.pageData(a))
}

// servePageKill is the page's kill switch button.
func (h *Handler) servePageKill(w http.ResponseWriter, r *http.Request, a auth) {
	h.kill(r, a)
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
	p, err := chaos.DecodePlan([]byte(text))
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
	d := h.pageData(a)
	d.Draft, d.DraftVersion = text, version
	d.Error = err.Error()
	var pe *chaos.PlanError
	if errors.As(err, &pe) {
		d.Error, d.Problems = pe.Err.Error(), pe.Problems
	}
	h.render(w, http.StatusUnprocessableEntity, pageTmpl, d)
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
