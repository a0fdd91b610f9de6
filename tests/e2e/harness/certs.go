package harness

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA is a throwaway certificate authority: it signs the API server's serving
// certificate and every client certificate of the cluster, so one file
// (CertFile) is the trust root for servers and clients alike.
type CA struct {
	Cert     *x509.Certificate
	Key      *ecdsa.PrivateKey
	CertFile string
	KeyFile  string
}

// KeyPair names a certificate and its key on disk, both PEM.
type KeyPair struct {
	CertFile string
	KeyFile  string
}

const certLifetime = 24 * time.Hour

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
}

// NewCA creates a CA and writes ca.crt / ca.key into dir.
func NewCA(dir, commonName string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	ca := &CA{Cert: cert, Key: key, CertFile: filepath.Join(dir, "ca.crt"), KeyFile: filepath.Join(dir, "ca.key")}
	if err := writeCert(ca.CertFile, der); err != nil {
		return nil, err
	}
	if err := writeKey(ca.KeyFile, key); err != nil {
		return nil, err
	}
	return ca, nil
}

// ServingCert issues a server certificate for the given host names and IPs
// and writes <name>.crt / <name>.key into dir.
func (ca *CA) ServingCert(dir, name string, hosts []string, ips []net.IP) (KeyPair, error) {
	return ca.issue(dir, name, pkix.Name{CommonName: name}, hosts, ips,
		[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth})
}

// ClientCert issues a client certificate. The API server maps CommonName to
// the user name and Organization to groups (system:masters is cluster-admin).
func (ca *CA) ClientCert(dir, name, user string, groups ...string) (KeyPair, error) {
	return ca.issue(dir, name, pkix.Name{CommonName: user, Organization: groups}, nil, nil,
		[]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
}

// PeerCert issues a certificate valid for both ends of a mutual-TLS link, for
// tests that need an agent and a controller to trust each other.
func (ca *CA) PeerCert(dir, name string, hosts []string, ips []net.IP) (KeyPair, error) {
	return ca.issue(dir, name, pkix.Name{CommonName: name}, hosts, ips,
		[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth})
}

func (ca *CA) issue(dir, name string, subject pkix.Name, hosts []string, ips []net.IP, usage []x509.ExtKeyUsage) (KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return KeyPair{}, err
	}
	sn, err := serial()
	if err != nil {
		return KeyPair{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  usage,
		DNSNames:     hosts,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return KeyPair{}, err
	}
	kp := KeyPair{CertFile: filepath.Join(dir, name+".crt"), KeyFile: filepath.Join(dir, name+".key")}
	if err := writeCert(kp.CertFile, der); err != nil {
		return KeyPair{}, err
	}
	if err := writeKey(kp.KeyFile, key); err != nil {
		return KeyPair{}, err
	}
	return kp, nil
}

func writeCert(path string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("marshal key for %s: %w", path, err)
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
}

// writeServiceAccountKey writes the key pair the API server signs
// service-account tokens with (ES256) and verifies them by.
func writeServiceAccountKey(dir string) (KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return KeyPair{}, err
	}
	kp := KeyPair{CertFile: filepath.Join(dir, "sa.pub"), KeyFile: filepath.Join(dir, "sa.key")}
	if err := writeKey(kp.KeyFile, key); err != nil {
		return KeyPair{}, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return KeyPair{}, err
	}
	if err := os.WriteFile(kp.CertFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644); err != nil {
		return KeyPair{}, err
	}
	return kp, nil
}
