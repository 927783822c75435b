package chaoshttp

import (
	"net/http"
	"strconv"
)

// HeaderInjected is the response header that marks a response a fault
// touched, at a server and at a client alike. Its value names the fault's
// kind and the point, as an HTTP parameter with a quoted string:
//
//	X-Faultline-Injected: status; point="GET /users/{id}"
//
// Responses the middleware writes itself (error, status, a recovered panic,
// a latency or hang cut short by the request's context, a hang that
// reached its bound) carry it, and so do responses a fault delayed or
// corrupted.
const HeaderInjected = "X-Faultline-Injected"

// statusLine returns the Status of a response with code, as net/http
// writes it: "503 Service Unavailable", or "799 status code 799" for a code
// without a text.
func statusLine(code int) string {
	text := http.StatusText(code)
	if text == "" {
		text = "status code " + strconv.Itoa(code)
	}
	return strconv.Itoa(code) + " " + text
}
