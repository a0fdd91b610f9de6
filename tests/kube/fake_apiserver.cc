#include "tests/kube/fake_apiserver.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <set>

namespace gt::kube::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
  }
  return "Status";
}

}  // namespace

std::string FakeRequest::Header(const std::string& name) const {
  const auto it = headers.find(Lower(name));
  return it == headers.end() ? std::string() : it->second;
}

std::string FakeRequest::Path() const { return target.substr(0, target.find('?')); }

std::string FakeRequest::Query(const std::string& key) const {
  const auto q = target.find('?');
  if (q == std::string::npos) return {};
  std::string rest = target.substr(q + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    const size_t amp = rest.find('&', pos);
    const std::string kv =
        rest.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    const size_t eq = kv.find('=');
    if (kv.substr(0, eq) == key)
      return eq == std::string::npos ? std::string() : PercentDecode(kv.substr(eq + 1));
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return {};
}

struct FakeApiServer::Impl {
  asio::io_context io;
  asio::ssl::context ssl{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  Handler handler;
  std::atomic<bool> stopping{false};
  std::thread accept_thread;
  mutable std::mutex mu;
  std::vector<std::thread> conn_threads;
  std::set<int> fds;
  std::vector<FakeRequest> seen;
  std::string client_cn;

  class Conn final : public FakeConnection {
   public:
    Conn(Impl& s, asio::ssl::stream<tcp::socket>& stream) : s_(s), stream_(stream) {}
    void Respond(int status, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers) override {
      std::string out = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) + "\r\n";
      out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
      for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
      out += "\r\n" + body;
      Write(out);
    }
    void StartChunked(int status) override {
      Write("HTTP/1.1 " + std::to_string(status) + " " + Reason(status) +
            "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    }
    void Chunk(const std::string& data) override {
      char len[32];
      std::snprintf(len, sizeof len, "%zx\r\n", data.size());
      Write(len + data + "\r\n");
    }
    void EndChunked() override { Write("0\r\n\r\n"); }
    void Drop() override {
      dropped = true;
      beast::error_code ec;
      stream_.next_layer().shutdown(tcp::socket::shutdown_both, ec);
      stream_.next_layer().close(ec);
    }
    void HangUntilStopped() override {
      while (!s_.stopping.load()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      dropped = true;
    }
    bool dropped = false;

   private:
    void Write(const std::string& data) {
      beast::error_code ec;
      asio::write(stream_, asio::buffer(data), ec);
      if (ec) dropped = true;
    }
    Impl& s_;
    asio::ssl::stream<tcp::socket>& stream_;
  };

  void Serve(tcp::socket socket) {
    const int fd = socket.native_handle();
    {
      std::lock_guard lock(mu);
      fds.insert(fd);
    }
    asio::ssl::stream<tcp::socket> stream(std::move(socket), ssl);
    beast::error_code ec;
    stream.handshake(asio::ssl::stream_base::server, ec);
    if (!ec) {
      if (X509* peer = SSL_get_peer_certificate(stream.native_handle())) {
        char cn[256] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
        std::lock_guard lock(mu);
        client_cn = cn;
        X509_free(peer);
      }
      beast::flat_buffer buffer;
      while (!stopping.load()) {
        bhttp::request<bhttp::string_body> req;
        bhttp::read(stream, buffer, req, ec);
        if (ec) break;
        FakeRequest fr;
        fr.method = std::string(req.method_string());
        fr.target = std::string(req.target());
        fr.body = req.body();
        for (const auto& f : req)
          fr.headers[Lower(std::string(f.name_string()))] = std::string(f.value());
        {
          std::lock_guard lock(mu);
          seen.push_back(fr);
        }
        Conn conn(*this, stream);
        handler(fr, conn);
        if (conn.dropped) break;
      }
    }
    std::lock_guard lock(mu);
    fds.erase(fd);
  }
};

FakeApiServer::FakeApiServer(TestCert cert, Handler handler, std::string client_ca_pem)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->ssl.use_certificate_chain(asio::buffer(cert.cert_pem));
  impl_->ssl.use_private_key(asio::buffer(cert.key_pem), asio::ssl::context::pem);
  if (!client_ca_pem.empty()) {
    impl_->ssl.add_certificate_authority(asio::buffer(client_ca_pem));
    impl_->ssl.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  }
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept_thread = std::thread([this] {
    Impl& s = *impl_;
    while (!s.stopping.load()) {
      tcp::socket socket(s.io);
      beast::error_code ec;
      s.acceptor.accept(socket, ec);
      if (ec || s.stopping.load()) break;
      std::lock_guard lock(s.mu);
      s.conn_threads.emplace_back(
          [&s, sock = std::move(socket)]() mutable { s.Serve(std::move(sock)); });
    }
  });
}

FakeApiServer::~FakeApiServer() {
  impl_->stopping.store(true);
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);  // wakes the blocking accept
  impl_->accept_thread.join();
  {
    std::lock_guard lock(impl_->mu);
    for (int fd : impl_->fds) ::shutdown(fd, SHUT_RDWR);  // wakes blocking reads
  }
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->mu);
    threads.swap(impl_->conn_threads);
  }
  for (auto& t : threads) t.join();
}

std::vector<FakeRequest> FakeApiServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->seen;
}

std::string FakeApiServer::last_client_cn() const {
  std::lock_guard lock(impl_->mu);
  return impl_->client_cn;
}

}  // namespace gt::kube::testing
