package decision

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	certutil "k8s.io/client-go/util/cert"

	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// serveTLS serves, on a free port of 127.0.0.1 with cfg, a handler that
// answers the protocol it was asked with; it returns the address.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	l, err := tlsListener(context.Background(), "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	})}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return l.Addr().String()
}

// trusting is a client that trusts the certificates of pemData and offers
// HTTP/2 (as curl and Go's default client do).
func trusting(t *testing.T, pemData ...[]byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	for _, p := range pemData {
		if !pool.AppendCertsFromPEM(p) {
			t.Fatalf("no certificate in %q", p)
		}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TestSelfSignedTLS: without a certificate directory the API serves a
// certificate made at start, for localhost and the loopback addresses,
// which a client trusts with the file written; it speaks HTTP/1.1 to a
// client offering HTTP/2 (Rapid Reset), and refuses TLS below 1.2.
func TestSelfSignedTLS(t *testing.T) {
	out := filepath.Join(t.TempDir(), "decision-server.crt")
	cfg, watcher, err := servingTLS(SetupOptions{SelfSignedCertOut: out}, logr.Discard())
	if err != nil || watcher != nil {
		t.Fatalf("servingTLS: %v, watcher %v", err, watcher)
	}
	pemData, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := certutil.ParseCertsPEM(pemData)
	if err != nil {
		t.Fatal(err)
	}
	if leaf := certs[0]; leaf.Subject.CommonName == "" || !strings.HasPrefix(leaf.DNSNames[0], "localhost") || len(leaf.IPAddresses) != 2 ||
		leaf.NotAfter.Sub(leaf.NotBefore) < 364*24*time.Hour {
		t.Errorf("the certificate: DNS %v, IPs %v, valid %s to %s", leaf.DNSNames, leaf.IPAddresses, leaf.NotBefore, leaf.NotAfter)
	}
	addr := serveTLS(t, cfg)
	_, port, _ := net.SplitHostPort(addr)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		resp, err := trusting(t, pemData).Get("https://" + net.JoinHostPort(host, port) + "/")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.Proto != "HTTP/1.1" || string(body) != "HTTP/1.1" || resp.TLS.NegotiatedProtocol != "http/1.1" || resp.TLS.Version < tls.VersionTLS12 {
			t.Errorf("%s: %s (served %s), ALPN %q, TLS %x; want HTTP/1.1 over TLS 1.2 or later", host, resp.Proto, body, resp.TLS.NegotiatedProtocol, resp.TLS.Version)
		}
	}
	old := trusting(t, pemData)
	old.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS11
	if _, err := old.Get("https://" + addr + "/"); err == nil {
		t.Error("a TLS 1.1 client was served")
	}
	if _, err := (&http.Client{Timeout: 10 * time.Second}).Get("https://" + addr + "/"); err == nil {
		t.Error("a client that does not trust the certificate was served without complaint")
	}
}

// TestCertDirRotation: with a certificate directory the API serves its
// tls.crt and tls.key, and the next ones once they are replaced (as the
// kubelet updates a mounted Secret cert-manager renewed), without a
// restart; a directory without them fails at start, naming the file.
func TestCertDirRotation(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := servingTLS(SetupOptions{CertDir: dir}, logr.Discard()); err == nil || !strings.Contains(err.Error(), "--cert-dir") || !strings.Contains(err.Error(), certFile) {
		t.Errorf("an empty --cert-dir: %v", err)
	}
	write := func() []byte {
		certPEM, keyPEM, err := certutil.GenerateSelfSignedCertKey("localhost", []net.IP{net.IPv4(127, 0, 0, 1)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for name, b := range map[string][]byte{certFile: certPEM, keyFile: keyPEM} {
			tmp := filepath.Join(dir, "."+name)
			if err := os.WriteFile(tmp, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
		return certPEM
	}
	first := write()
	cfg, watcher, err := servingTLS(SetupOptions{CertDir: dir}, logr.Discard())
	if err != nil || watcher == nil {
		t.Fatalf("servingTLS: %v, watcher %v", err, watcher)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- watcher.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("the watcher: %v", err)
		}
	})
	addr := serveTLS(t, cfg)
	served := func(client *http.Client) ([]byte, error) {
		resp, err := client.Get("https://" + addr + "/")
		if err != nil {
			return nil, err
		}
		_ = resp.Body.Close()
		client.CloseIdleConnections() // the next request shakes hands again
		return resp.TLS.PeerCertificates[0].Raw, nil
	}
	leaf := func(pemData []byte) []byte {
		certs, err := certutil.ParseCertsPEM(pemData)
		if err != nil {
			t.Fatal(err)
		}
		return certs[0].Raw
	}
	if got, err := served(trusting(t, first)); err != nil || !bytes.Equal(got, leaf(first)) {
		t.Fatalf("the first certificate is not served: %v", err)
	}
	second := write()
	client := trusting(t, first, second)
	testenv.Eventually(t, 30*time.Second, "the replaced certificate served", func() (bool, string) {
		got, err := served(client)
		if err != nil {
			return false, err.Error()
		}
		return bytes.Equal(got, leaf(second)), "still the first"
	})
}
