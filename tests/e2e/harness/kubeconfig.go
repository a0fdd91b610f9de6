package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig writes a one-context kubeconfig that authenticates with a
// client certificate (cert set) or a bearer token.
func writeKubeconfig(path, server, caFile string, cert KeyPair, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["e2e"] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: caFile}
	user := &clientcmdapi.AuthInfo{Token: token}
	if cert.CertFile != "" {
		user.ClientCertificate, user.ClientKey = cert.CertFile, cert.KeyFile
	}
	cfg.AuthInfos["e2e"] = user
	cfg.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "e2e"}
	cfg.CurrentContext = "e2e"
	return clientcmd.WriteToFile(*cfg, path)
}

// ClientCertKubeconfig issues a client certificate for user (in groups) and
// returns the path of a kubeconfig that uses it.
func (c *Cluster) ClientCertKubeconfig(name, user string, groups ...string) (string, error) {
	kp, err := c.CA.ClientCert(c.Dir, name, user, groups...)
	if err != nil {
		return "", err
	}
	path := filepath.Join(c.Dir, name+".kubeconfig")
	return path, writeKubeconfig(path, c.Server, c.CA.CertFile, kp, "")
}

// ServiceAccountKubeconfig makes sure namespace/name exists as a service
// account, requests a token for it (valid for ttl) and returns the path of
// a kubeconfig that authenticates with that token: a client holding it has
// exactly the RBAC rules bound to the service account.
func (c *Cluster) ServiceAccountKubeconfig(ctx context.Context, namespace, name string, ttl time.Duration) (string, error) {
	if err := c.ensureNamespace(ctx, namespace); err != nil {
		return "", err
	}
	_, err := c.Client.CoreV1().ServiceAccounts(namespace).Create(ctx,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	seconds := int64(ttl / time.Second)
	tr, err := c.Client.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &seconds}},
		metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for %s/%s: %w", namespace, name, err)
	}
	path := filepath.Join(c.Dir, fmt.Sprintf("sa-%s-%s.kubeconfig", namespace, name))
	return path, writeKubeconfig(path, c.Server, c.CA.CertFile, KeyPair{}, tr.Status.Token)
}

// BindClusterRole binds the ClusterRole to the service account cluster-wide.
func (c *Cluster) BindClusterRole(ctx context.Context, clusterRole, namespace, serviceAccount string) error {
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("e2e:%s:%s:%s", clusterRole, namespace, serviceAccount)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects: []rbacv1.Subject{{
			Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: serviceAccount,
		}},
	}
	_, err := c.Client.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
