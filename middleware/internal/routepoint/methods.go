package routepoint

import (
	"net/http"

	"github.com/faultline-go/faultline/chaos"
)

// LabelMethod is the label that carries the method word of a request
// ("GET", "POST", …, or "OTHER").
const LabelMethod = "method"

// NumMethods counts the method words points and labels use.
const NumMethods = 10

// Methods are the words a request method is named with: the nine methods
// of RFC 9110 and RFC 5789, and OTHER for every other method, so that names
// and labels stay a bounded set whatever clients send. [MethodIndex] gives
// a request method's index in it.
var Methods = [NumMethods]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "OTHER"}

// methodLabels holds the method label of each method word, made once so
// that gathering labels allocates nothing.
var methodLabels = func() (ls [NumMethods]chaos.Label) {
	for i, m := range Methods {
		ls[i] = chaos.Label{Key: LabelMethod, Value: m}
	}
	return ls
}()

// MethodLabel returns the label [LabelMethod] of the method word at index m
// of [Methods].
func MethodLabel(m int) chaos.Label { return methodLabels[m] }

// MethodIndex returns the index in [Methods] of the request method m. An
// empty method is GET, as http.Request documents for clients; a method
// outside the standard nine is OTHER.
func MethodIndex(m string) int {
	switch m {
	case http.MethodGet, "":
		return 0
	case http.MethodHead:
		return 1
	case http.MethodPost:
		return 2
	case http.MethodPut:
		return 3
	case http.MethodPatch:
		return 4
	case http.MethodDelete:
		return 5
	case http.MethodConnect:
		return 6
	case http.MethodOptions:
		return 7
	case http.MethodTrace:
		return 8
	}
	return NumMethods - 1
}

// UnmatchedSuffix follows the method word in the point of a request that
// matched no route, or whose route is beyond the bound of a [Registry].
const UnmatchedSuffix = " (unmatched)"

// PointName returns the name of the point of route key for the method word
// at index m: "GET /orders/:id" for the key "/orders/:id", and
// "GET (unmatched)" for the empty key.
func PointName(key string, m int) string {
	if key == "" {
		return Methods[m] + UnmatchedSuffix
	}
	return Methods[m] + " " + key
}
