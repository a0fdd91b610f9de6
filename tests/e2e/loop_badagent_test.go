package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
)

// badAgent stands in for node-3's agent at its pod IP and misbehaves as the
// test says: a certificate from the wrong CA, garbage instead of JSON, or a
// reply that never comes.
type badAgent struct {
	mode     atomic.Value // "wrong-ca" | "garbage" | "hang"
	srv      *http.Server
	requests atomic.Int64
	release  chan struct{}
	once     sync.Once
}

func startBadAgent(addr string, e *loopEnv) (*badAgent, error) {
	good, err := tls.LoadX509KeyPair(e.agentCert.CertFile, e.agentCert.KeyFile)
	if err != nil {
		return nil, err
	}
	rogue, err := tls.LoadX509KeyPair(e.rogueCert.CertFile, e.rogueCert.KeyFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(e.agentCA.CertFile)
	if err != nil {
		return nil, err
	}
	pool.AppendCertsFromPEM(pem)
	b := &badAgent{release: make(chan struct{})}
	b.mode.Store("wrong-ca")
	cfg := &tls.Config{
		ClientCAs:  pool,
		ClientAuth: tls.RequireAndVerifyClientCert,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if b.mode.Load() == "wrong-ca" {
				return &rogue, nil
			}
			return &good, nil
		},
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	b.srv = &http.Server{
		// Refused handshakes are the point of the wrong-CA mode, not news.
		ErrorLog: log.New(io.Discard, "", 0),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b.requests.Add(1)
			switch b.mode.Load() {
			case "hang":
				select {
				case <-b.release:
				case <-r.Context().Done():
				}
			default:
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"node": {"name": "node-3"}, "cursor": "x", "pods": [{"uid": 7, "contai` + "\x00\xff garbage"))
			}
		}),
	}
	go func() { _ = b.srv.Serve(tls.NewListener(ln, cfg)) }()
	return b, nil
}

func (b *badAgent) setMode(m string) { b.mode.Store(m) }

func (b *badAgent) close() {
	b.once.Do(func() { close(b.release) })
	_ = b.srv.Close()
}
