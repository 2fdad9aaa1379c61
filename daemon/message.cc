#include "message.h"

namespace blink {
namespace {

class VectorPayload final : public Payload {
 public:
  explicit VectorPayload(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  std::span<const uint8_t> bytes() const override { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace

std::unique_ptr<Payload> make_payload(std::vector<uint8_t> bytes) {
  return std::make_unique<VectorPayload>(std::move(bytes));
}

std::unique_ptr<Payload> make_payload(std::string_view text) {
  return make_payload(std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace blink
