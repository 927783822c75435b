package routepoint

import (
	"bytes"
	"crypto/subtle"
	"net/http"
	"slices"
	"sync"

	"github.com/faultline-go/faultline/faults"
)

// InjectedValue returns the value of the header chaoshttp.HeaderInjected
// for fault kind k at point: `status; point="GET /x"`. The point is written
// as an HTTP quoted-string: '"' and '\' are escaped, and control
// characters, which no header value may hold, become '?'.
func InjectedValue(k faults.Kind, point string) string {
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

// Invert appends to dst the bytes of p, each XOR 0xFF: the damage a
// corrupt fault does to a body it keeps the length of. dst and p may be
// the same bytes (Invert(p[:0], p) inverts p in place).
func Invert(dst, p []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(p))[:n+len(p)]
	out, ones := dst[n:], allOnes()
	for len(p) > 0 {
		k := subtle.XORBytes(out, p, ones)
		out, p = out[k:], p[k:]
	}
	return dst
}

// allOnes returns 32 KiB of 0xFF, made on first use, for Invert to XOR
// with a word at a time.
var allOnes = sync.OnceValue(func() []byte { return bytes.Repeat([]byte{0xff}, 32<<10) })

// BodyAllowed reports whether a response with status code may have a
// body.
func BodyAllowed(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified
}

// ErrorCode returns the status code of an error (or badconn) fault f: its
// Code, or 500 Internal Server Error when it has none.
func ErrorCode(f faults.Fault) int {
	if f.Code == 0 {
		return http.StatusInternalServerError
	}
	return f.Code
}
