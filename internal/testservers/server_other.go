//go:build !linux

package testservers

import "errors"

// startPostgres reports that the test PostgreSQL cluster is started on
// Linux only, where .ci/services.sh installs it.
func startPostgres() (string, func() error, error) {
	return "", nil, errors.New("the test PostgreSQL cluster is started on Linux only")
}

// startRedis reports that the test Redis server is started on Linux only,
// where .ci/services.sh installs it.
func startRedis() (string, func() error, error) {
	return "", nil, errors.New("the test Redis server is started on Linux only")
}
