package main

import (
	"cmp"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// keyEnv is the environment variable mint reads the directive key from.
const keyEnv = "FAULTLINE_DIRECTIVE_KEY"

// defaultTTL is how long a minted directive lives unless -ttl says
// otherwise.
const defaultTTL = time.Minute

var mintCmd = &command{
	name:  "mint",
	args:  "[-ttl D] [-issuer NAME] [-seed N] [-key-file FILE] [-json] PLAN",
	short: "mint a signed request directive",
	help: `Mint signs PLAN (a file, "-" for standard input, or the plan text; at most
16 rules) as a request directive (chaos.Directive) and prints its token.
Sent as the baggage member faultline=TOKEN, the directive turns those
faults on for that one request in every service that accepts it, until it
expires. The key ("ID:BASE64URLSECRET", as chaos.ParseDirectiveKey reads
it) comes from -key-file or $FAULTLINE_DIRECTIVE_KEY, never from a flag
value. With -json it prints the token, its id, issuer and expiry, and the
baggage header value.

examples:
  export FAULTLINE_DIRECTIVE_KEY="$(cat /run/secrets/faultline-directive-key)"
  TOKEN=$(faultline mint -issuer alice '"GET /checkout"=delay(2s)')
  curl -H "baggage: faultline=$TOKEN" https://svc.example/checkout
  faultline mint -ttl 5m -seed 7 -key-file key.txt -json plan.txt`,
	flags: func(c *cli, fs *flag.FlagSet) func([]string) int {
		ttl := fs.Duration("ttl", 0, "how long the directive lives, `D` (0: 1m)")
		issuer := fs.String("issuer", "", "who mints it, as `NAME` (default: $USER, else faultline)")
		seed := fs.Uint64("seed", 0, "the `seed` its rules decide with (0: each engine's own)")
		id := fs.String("id", "", "the directive's `ID` in events and logs (default: a random one)")
		keyFile := fs.String("key-file", "", "read the signing key from `FILE` (default: $"+keyEnv+")")
		asJSON := fs.Bool("json", false, "print the token, id, expiry and baggage header value as JSON")
		return func(args []string) int {
			if len(args) != 1 {
				fs.Usage()
				return exitUsage
			}
			if *ttl < 0 {
				return c.failf(exitUsage, "-ttl %v: a directive must live a while", *ttl)
			}
			source, p, code := c.plan(args[0])
			if code != exitOK {
				return code
			}
			key, code := c.directiveKey(*keyFile)
			if code != exitOK {
				return code
			}
			d := chaos.Directive{ID: *id, Issuer: *issuer, Plan: p, Seed: *seed, IssuedAt: time.Now()}
			if d.Issuer == "" {
				d.Issuer = cmp.Or(c.getenv("USER"), "faultline")
			}
			d.Expires = d.IssuedAt.Add(cmp.Or(*ttl, defaultTTL))
			tok, err := d.Sign(key)
			if err != nil {
				return c.failf(exitInvalid, "%s: %v", source, err)
			}
			// Read it back, for the id Sign drew and the times it kept.
			signed, err := chaos.VerifyDirective(tok, d.IssuedAt, key)
			if err != nil {
				return c.failf(exitInvalid, "%s: the token minted does not verify: %v", source, err)
			}
			if !*asJSON {
				fmt.Fprintln(c.stdout, tok)
				return exitOK
			}
			writeJSON(c.stdout, minted{
				Token:   tok,
				ID:      signed.ID,
				Issuer:  signed.Issuer,
				KeyID:   signed.KeyID,
				Expires: signed.Expires,
				Baggage: chaos.DirectiveBaggageKey + "=" + tok,
			})
			return exitOK
		}
	},
}

// minted is what mint -json prints.
type minted struct {
	Token   string    `json:"token"`
	ID      string    `json:"id"`
	Issuer  string    `json:"issuer"`
	KeyID   string    `json:"key_id"`
	Expires time.Time `json:"expires"`
	// Baggage is the value of the baggage header that carries it.
	Baggage string `json:"baggage"`
}

// directiveKey returns the signing key: from keyFile, or else from
// $FAULTLINE_DIRECTIVE_KEY. On failure it prints why and returns the exit
// code.
func (c *cli) directiveKey(keyFile string) (chaos.DirectiveKey, int) {
	s, from := c.getenv(keyEnv), "$"+keyEnv
	if keyFile != "" {
		b, err := c.readInput(keyFile)
		if err != nil {
			return chaos.DirectiveKey{}, c.failf(exitUsage, "key file: %v", err)
		}
		s, from = string(b), keyFile
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return chaos.DirectiveKey{}, c.failf(exitUsage, "no directive key: set $%s or pass -key-file FILE", keyEnv)
	}
	key, err := chaos.ParseDirectiveKey(s)
	if err != nil {
		return chaos.DirectiveKey{}, c.failf(exitUsage, "directive key in %s: %v", from, err)
	}
	return key, exitOK
}

var keygenCmd = &command{
	name:  "keygen",
	args:  "ID",
	short: "make a directive key with a fresh random secret",
	help: `Keygen prints a new directive key named ID with a fresh 32-byte random
secret, as "ID:BASE64URLSECRET": what mint reads from -key-file or
$FAULTLINE_DIRECTIVE_KEY, and what services give chaos.WithDirectiveKeys
through chaos.ParseDirectiveKey. It holds the secret: write it to a secret
store, not to a log. Rotate by adding the new key to every service first,
then minting with it, then removing the old one.

examples:
  faultline keygen 2026-11 > /run/secrets/faultline-directive-key`,
	flags: func(c *cli, fs *flag.FlagSet) func([]string) int {
		return func(args []string) int {
			if len(args) != 1 {
				fs.Usage()
				return exitUsage
			}
			k, err := chaos.NewDirectiveKey(args[0])
			if err != nil {
				return c.failf(exitUsage, "%v", err)
			}
			fmt.Fprintln(c.stdout, k.String())
			return exitOK
		}
	},
}
