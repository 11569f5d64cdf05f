#include <curl/curl.h>
#include <fmt/format.h>

#include <cstring>
#include <ctime>
#include <memory>

#include "blemon/errors.h"
#include "blemon/notify/notifiers.h"

namespace blemon::notify {
namespace {

void InitCurlOnce() {
  static const CURLcode once = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)once;
}

struct EasyDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using List = std::unique_ptr<curl_slist, ListDeleter>;

Easy NewEasy() {
  InitCurlOnce();
  Easy curl(curl_easy_init());
  if (!curl) throw Unavailable("libcurl: cannot create a handle (out of memory)");
  return curl;
}

void Append(List& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown == nullptr) throw Unavailable("libcurl: out of memory");
  (void)list.release();
  list.reset(grown);
}

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

// The one translator of libcurl's errors: a transfer that failed before an answer (connection,
// DNS, timeout, TLS handshake) is worth retrying; what libcurl calls a login or a refused
// recipient is not.
[[noreturn]] void ThrowCurlError(CURLcode rc, const char* detail, std::string_view doing) {
  const std::string what =
      fmt::format("{}: {}{}{}", doing, curl_easy_strerror(rc), *detail != 0 ? ": " : "", detail);
  switch (rc) {
    case CURLE_LOGIN_DENIED:
    case CURLE_REMOTE_ACCESS_DENIED:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_USE_SSL_FAILED:
      throw Refused(what);
    default:
      throw Unavailable(what);
  }
}

// Sets what both channels share: timeouts, TLS verification, the error buffer.
void CommonOptions(CURL* curl, const std::string& url, const std::string& ca_file,
                   std::chrono::seconds timeout, char* error_buffer) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
}

class WebhookNotifier final : public Notifier {
 public:
  explicit WebhookNotifier(WebhookOptions options) : options_(std::move(options)) {}

  std::string_view channel() const override { return "webhook"; }
  std::string target() const override { return options_.url; }

  void Deliver(const AlertMessage& alert) override {
    Easy curl = NewEasy();
    char error[CURL_ERROR_SIZE] = {};
    CommonOptions(curl.get(), options_.url, options_.ca_file, options_.timeout, error);
    List headers;
    Append(headers, "Content-Type: application/json");
    Append(headers, "Idempotency-Key: " + alert.event_id);
    if (!options_.bearer_token.empty()) {
      Append(headers, "Authorization: Bearer " + options_.bearer_token);
    }
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, alert.json.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(alert.json.size()));
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &Discard);
    const CURLcode rc = curl_easy_perform(curl.get());
    if (rc != CURLE_OK) ThrowCurlError(rc, error, "webhook " + options_.url);
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return;
    const std::string what = fmt::format("webhook {} answered HTTP {}", options_.url, status);
    if (status == 408 || status == 429 || status >= 500) throw Unavailable(what);
    throw Refused(what);
  }

 private:
  WebhookOptions options_;
};

// RFC 5322 date of now, for the Date header.
std::string MailDate() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return text;
}

// An RFC 2047 encoded word, so a summary with non-ASCII room names survives any mail server.
std::string EncodedSubject(const std::string& text) {
  static constexpr char kBase64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, text.size() - i);
    std::uint32_t chunk = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      chunk = (chunk << 8) | (k < n ? static_cast<unsigned char>(text[i + k]) : 0u);
    }
    for (std::size_t k = 0; k < 4; ++k) {
      out += k <= n ? kBase64[(chunk >> (18 - 6 * k)) & 0x3F] : '=';
    }
  }
  return "=?UTF-8?B?" + out + "?=";
}

class EmailNotifier final : public Notifier {
 public:
  explicit EmailNotifier(EmailOptions options) : options_(std::move(options)) {}

  std::string_view channel() const override { return "email"; }
  std::string target() const override {
    std::string to;
    for (const auto& r : options_.to) to += (to.empty() ? "" : ", ") + r;
    return to + " via " + options_.url;
  }

  void Deliver(const AlertMessage& alert) override {
    Easy curl = NewEasy();
    char error[CURL_ERROR_SIZE] = {};
    CommonOptions(curl.get(), options_.url, options_.ca_file, options_.timeout, error);
    // STARTTLS on smtp://, required: credentials and the message never go in clear.
    curl_easy_setopt(curl.get(), CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!options_.username.empty()) {
      curl_easy_setopt(curl.get(), CURLOPT_USERNAME, options_.username.c_str());
      curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, options_.password.c_str());
    }
    curl_easy_setopt(curl.get(), CURLOPT_MAIL_FROM, ("<" + options_.from + ">").c_str());
    List recipients;
    for (const auto& r : options_.to) Append(recipients, "<" + r + ">");
    curl_easy_setopt(curl.get(), CURLOPT_MAIL_RCPT, recipients.get());
    Body body{Message(alert), 0};
    curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, &Body::Read);
    curl_easy_setopt(curl.get(), CURLOPT_READDATA, &body);
    curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
    const CURLcode rc = curl_easy_perform(curl.get());
    if (rc == CURLE_OK) return;
    long code = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
    const std::string doing = fmt::format("e-mail via {}", options_.url);
    if (code >= 500) {
      throw Refused(fmt::format("{}: the server answered {}: {}", doing, code, error));
    }
    ThrowCurlError(rc, error, doing);
  }

 private:
  struct Body {
    std::string text;
    std::size_t sent;
    static size_t Read(char* out, size_t size, size_t count, void* self) {
      auto& b = *static_cast<Body*>(self);
      const std::size_t n = std::min(size * count, b.text.size() - b.sent);
      std::memcpy(out, b.text.data() + b.sent, n);
      b.sent += n;
      return n;
    }
  };

  std::string Message(const AlertMessage& alert) const {
    std::string to;
    for (const auto& r : options_.to) to += (to.empty() ? "" : ", ") + ("<" + r + ">");
    std::string id = alert.event_id;
    for (char& c : id) {
      if (c == '/' || c == ':') c = '.';
    }
    return fmt::format(
        "Date: {}\r\nFrom: blemon <{}>\r\nTo: {}\r\nSubject: {}\r\nMessage-ID: <{}@blemon>\r\n"
        "X-Blemon-Event-Id: {}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
        MailDate(), options_.from, to, EncodedSubject(alert.summary), id, alert.event_id,
        alert.text);
  }

  EmailOptions options_;
};

}  // namespace

std::unique_ptr<Notifier> MakeWebhookNotifier(WebhookOptions options) {
  return std::make_unique<WebhookNotifier>(std::move(options));
}

std::unique_ptr<Notifier> MakeEmailNotifier(EmailOptions options) {
  return std::make_unique<EmailNotifier>(std::move(options));
}

}  // namespace blemon::notify
