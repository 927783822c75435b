package chaoshttp

import (
	"net/http"
	"strconv"

	"github.com/faultline-go/faultline/faults"
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

// injectedValue returns the value of HeaderInjected for fault kind k at
// point. The point is written as an HTTP quoted-string: '"' and '\' are
// escaped, and control characters, which no header value may hold, become
// '?'.
func injectedValue(k faults.Kind, point string) string {
	b := make([]byte, 0, len(point)+len(`corrupt; point=""`)+2)
	b = append(b, k.String()...)
	b = append(b, `; point="`...)
	for i := 0; i < len(point); i++ {
		switch c := point[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < ' ' && c != '\t' || c == 0x7f:
			b = append(b, '?')
		default:
			b = append(b, c)
		}
	}
	b = append(b, '"')
	return string(b)
}

// bodyAllowed reports whether a response with status code may have a body.
func bodyAllowed(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified
}

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
