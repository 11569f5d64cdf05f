// The one place blemon calls a cipher: AES-128 from OpenSSL's libcrypto (EVP, AES-128-ECB), never
// hand-written crypto. libcrypto is linked privately, so no public header names it.

#include "blemon/identity.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <stdexcept>

namespace blemon {
namespace {

constexpr std::size_t kBlock = 16;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSeparator(char c) { return c == ':' || c == '-' || c == ' '; }

struct CipherContextFree {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

// A context keyed with `irk` for AES-128-ECB without padding: ready to encrypt whole blocks.
CipherContext KeyedContext(const Irk& irk) {
  CipherContext context(EVP_CIPHER_CTX_new());
  if (!context ||
      EVP_EncryptInit_ex(context.get(), EVP_aes_128_ecb(), nullptr, irk.bytes().data(), nullptr) !=
          1 ||
      EVP_CIPHER_CTX_set_padding(context.get(), 0) != 1) {
    throw std::runtime_error("libcrypto could not set up AES-128-ECB");
  }
  return context;
}

// Encrypts `blocks` (a multiple of 16 bytes) in place.
void EncryptBlocks(EVP_CIPHER_CTX* context, std::vector<std::uint8_t>& blocks) {
  int written = 0;
  if (EVP_EncryptUpdate(context, blocks.data(), &written, blocks.data(),
                        static_cast<int>(blocks.size())) != 1 ||
      static_cast<std::size_t>(written) != blocks.size()) {
    throw std::runtime_error("libcrypto could not encrypt with AES-128-ECB");
  }
}

// r' = padding || r: prand in the three least significant (last) octets of a zero block.
void PutPaddedPrand(std::uint32_t prand, std::uint8_t* block) {
  std::fill(block, block + kBlock, 0);
  block[13] = static_cast<std::uint8_t>(prand >> 16);
  block[14] = static_cast<std::uint8_t>(prand >> 8);
  block[15] = static_cast<std::uint8_t>(prand);
}

// The least significant 24 bits of an encrypted block.
std::uint32_t Low24(const std::uint8_t* block) {
  return static_cast<std::uint32_t>(block[13]) << 16 | static_cast<std::uint32_t>(block[14]) << 8 |
         block[15];
}

std::uint32_t PrandOf(const MacAddress& address) {
  const auto& b = address.bytes();
  return static_cast<std::uint32_t>(b[0]) << 16 | static_cast<std::uint32_t>(b[1]) << 8 | b[2];
}

std::uint32_t HashOf(const MacAddress& address) {
  const auto& b = address.bytes();
  return static_cast<std::uint32_t>(b[3]) << 16 | static_cast<std::uint32_t>(b[4]) << 8 | b[5];
}

bool IsResolvablePrivate(const MacAddress& address) {
  return address.Classify(AddressType::kRandom) == AddressClass::kResolvablePrivate;
}

}  // namespace

std::optional<Irk> Irk::Parse(std::string_view text, std::string* why) {
  auto fail = [why](std::string reason) -> std::optional<Irk> {
    if (why != nullptr) *why = std::move(reason);
    return std::nullopt;
  };
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (IsSeparator(text[i])) continue;
    // Only the position is quoted back, never the text: it is a secret key.
    if (HexValue(text[i]) < 0) return fail(fmt::format("character {} is not hexadecimal", i + 1));
    digits.push_back(text[i]);
  }
  if (digits.size() != 32) {
    return fail(fmt::format("has {} hex digits, an IRK has 32", digits.size()));
  }
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] =
        static_cast<std::uint8_t>(HexValue(digits[2 * i]) * 16 + HexValue(digits[2 * i + 1]));
  }
  return Irk(bytes);
}

Irk Irk::Reversed() const {
  std::array<std::uint8_t, 16> reversed = bytes_;
  std::reverse(reversed.begin(), reversed.end());
  return Irk(reversed);
}

std::string Irk::ToHex() const { return fmt::format("{:02x}", fmt::join(bytes_, "")); }

std::string Irk::Fingerprint() const {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(bytes_.data(), bytes_.size(), digest.data());
  return fmt::format("{:02x}{:02x}{:02x}{:02x}", digest[0], digest[1], digest[2], digest[3]);
}

std::uint32_t RandomAddressHash(const Irk& irk, std::uint32_t prand) {
  std::vector<std::uint8_t> block(kBlock);
  PutPaddedPrand(prand & 0xFFFFFF, block.data());
  EncryptBlocks(KeyedContext(irk).get(), block);
  return Low24(block.data());
}

bool Resolves(const Irk& irk, const MacAddress& address) {
  return IsResolvablePrivate(address) &&
         RandomAddressHash(irk, PrandOf(address)) == HashOf(address);
}

MacAddress MakeResolvablePrivateAddress(const Irk& irk, std::uint32_t prand) {
  prand = (prand & 0x3FFFFF) | 0x400000;
  const std::uint32_t hash = RandomAddressHash(irk, prand);
  return MacAddress::FromBytes(
      {static_cast<std::uint8_t>(prand >> 16), static_cast<std::uint8_t>(prand >> 8),
       static_cast<std::uint8_t>(prand), static_cast<std::uint8_t>(hash >> 16),
       static_cast<std::uint8_t>(hash >> 8), static_cast<std::uint8_t>(hash)});
}

struct IrkResolver::Ciphers {
  std::vector<CipherContext> contexts;
};

IrkResolver::IrkResolver(std::vector<Irk> irks)
    : irks_(std::move(irks)), ciphers_(std::make_unique<Ciphers>()) {
  ciphers_->contexts.reserve(irks_.size());
  for (const Irk& irk : irks_) ciphers_->contexts.push_back(KeyedContext(irk));
}

IrkResolver::~IrkResolver() = default;

std::vector<std::optional<std::size_t>> IrkResolver::Resolve(
    std::span<const MacAddress> addresses) const {
  std::vector<std::optional<std::size_t>> owners(addresses.size());
  // Only resolvable private addresses take part; `candidates` maps block i to its address.
  std::vector<std::size_t> candidates;
  std::vector<std::uint8_t> plain;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (!IsResolvablePrivate(addresses[i])) continue;
    candidates.push_back(i);
    plain.resize(plain.size() + kBlock);
    PutPaddedPrand(PrandOf(addresses[i]), plain.data() + plain.size() - kBlock);
  }
  if (candidates.empty()) return owners;
  std::vector<std::uint8_t> cipher(plain.size());
  for (std::size_t key = 0; key < irks_.size(); ++key) {
    std::copy(plain.begin(), plain.end(), cipher.begin());
    EncryptBlocks(ciphers_->contexts[key].get(), cipher);
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      auto& owner = owners[candidates[c]];
      if (!owner && Low24(cipher.data() + c * kBlock) == HashOf(addresses[candidates[c]])) {
        owner = key;
      }
    }
  }
  return owners;
}

}  // namespace blemon
