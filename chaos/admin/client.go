package admin

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
)

// parseProxy reads one entry of WithTrustedProxies: an address, which
// stands for itself, or a CIDR prefix.
func parseProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() {
			return netip.Prefix{}, errors.New("an IPv4-mapped IPv6 prefix; write the IPv4 prefix")
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// peerAddr returns the address of the connection's peer, or the zero Addr
// when RemoteAddr holds none (a Unix socket).
func peerAddr(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		return a.Unmap().WithZone("")
	}
	return netip.Addr{}
}

// trusted reports whether a is one of the proxies of WithTrustedProxies.
func (h *Handler) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range h.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr returns the address of the client that sent r: the peer,
// unless the peer is a trusted proxy, in which case it walks
// X-Forwarded-For from the right, past every trusted proxy, to the first
// address that is not one. An entry that is not an address stops the walk
// at the proxy that added it. The zero Addr means the peer has no address.
func (h *Handler) clientAddr(r *http.Request) netip.Addr {
	a := peerAddr(r)
	if !h.trusted(a) {
		return a
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		list := hops[i]
		for list != "" && h.trusted(a) {
			var hop string
			if j := strings.LastIndexByte(list, ','); j >= 0 {
				list, hop = list[:j], list[j+1:]
			} else {
				list, hop = "", list
			}
			next, ok := parseHop(hop)
			if !ok {
				return a
			}
			a = next
		}
	}
	return a
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

// clientName returns the client address of r as text, for logs and the
// kill switch's reason: r.RemoteAddr itself when it holds no address.
func (h *Handler) clientName(r *http.Request) string {
	if a := h.clientAddr(r); a.IsValid() {
		return a.String()
	}
	if r.RemoteAddr == "" {
		return "unknown"
	}
	return r.RemoteAddr
}

// clientKey returns the key the login throttle counts r's failures by:
// the client address, or for IPv6 its /64 prefix, which one host usually
// holds whole.
func (h *Handler) clientKey(r *http.Request) string {
	a := h.clientAddr(r)
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is6():
		p, _ := a.Prefix(64)
		return p.String()
	default:
		return a.String()
	}
}

// overTLS reports whether the client reached the handler over TLS: the
// connection is TLS, or its peer is a trusted proxy whose
// X-Forwarded-Proto says https.
func (h *Handler) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !h.trusted(peerAddr(r)) {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}
