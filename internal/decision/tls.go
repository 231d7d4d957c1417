package decision

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/go-logr/logr"
	certutil "k8s.io/client-go/util/cert"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"

	"github.com/tenancy-dev/access-controller/internal/webhook"
)

// The files of a certificate directory, as cert-manager writes a
// Certificate's Secret and a mounted Secret shows it.
const (
	certFile = "tls.crt"
	keyFile  = "tls.key"
)

// servingTLS is the API's TLS configuration: TLS 1.2 or later, HTTP/1.1
// only (as the webhooks serve: webhook.HTTP1Only), with the certificate of
// o.CertDir, reloaded when its files change (by the watcher returned, to
// run in the manager), or else a self-signed one made now.
func servingTLS(o SetupOptions, log logr.Logger) (*tls.Config, *certwatcher.CertWatcher, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	webhook.HTTP1Only(cfg)
	if o.CertDir != "" {
		w, err := certwatcher.New(filepath.Join(o.CertDir, certFile), filepath.Join(o.CertDir, keyFile))
		if err != nil {
			return nil, nil, fmt.Errorf("the serving certificate of --cert-dir %s: %w", o.CertDir, err)
		}
		cfg.GetCertificate = w.GetCertificate
		log.Info("Serving the certificate of a directory, reloaded when it changes", "dir", o.CertDir)
		return cfg, w, nil
	}
	cert, certPEM, err := selfSigned()
	if err != nil {
		return nil, nil, err
	}
	cfg.Certificates = []tls.Certificate{cert}
	sum := sha256.Sum256(cert.Certificate[0])
	if o.SelfSignedCertOut == "" {
		log.Info("Serving a self-signed certificate, written nowhere: clients cannot verify it (set --self-signed-cert-out, or --cert-dir)",
			"sha256", hex.EncodeToString(sum[:]))
		return cfg, nil, nil
	}
	if err := os.WriteFile(o.SelfSignedCertOut, certPEM, 0o644); err != nil {
		return nil, nil, fmt.Errorf("writing the self-signed certificate: %w", err)
	}
	log.Info("Serving a self-signed certificate; clients trust it with the file written", "file", o.SelfSignedCertOut, "sha256", hex.EncodeToString(sum[:]))
	return cfg, nil, nil
}

// selfSigned makes a certificate for local use, valid a year for
// localhost, 127.0.0.1, ::1 and the host's name, signed by a CA made with
// it (client-go's GenerateSelfSignedCertKey): the certificate and the PEM
// a client trusts (the certificate and its CA).
func selfSigned() (tls.Certificate, []byte, error) {
	var dns []string
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		dns = append(dns, h)
	}
	certPEM, keyPEM, err := certutil.GenerateSelfSignedCertKey("localhost", []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, dns)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("making a self-signed certificate: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, nil, errors.Join(errors.New("the self-signed certificate made"), err)
	}
	return cert, certPEM, nil
}

// tlsListener listens on address with cfg. http.Server.Serve on it
// speaks only what cfg offers: HTTP/1.1 (ServeTLS would add HTTP/2).
func tlsListener(ctx context.Context, address string, cfg *tls.Config) (net.Listener, error) {
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", address)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", address, err)
	}
	return tls.NewListener(l, cfg), nil
}
