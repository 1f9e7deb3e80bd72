// Lookups over the generated category runs (unicode_tables.cpp).
#include "engine/model/unicode.h"

#include <algorithm>

namespace asc::unicode {

UnicodeClass unicode_class(uint32_t cp) {
  if (cp < 0x80) {
    // ASCII fast path, identical to the table's answer.
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return UnicodeClass::kLetter;
    if (cp >= '0' && cp <= '9') return UnicodeClass::kNumber;
  }
  if (cp > 0x10FFFF) return UnicodeClass::kUndefined;
  const CategoryRun* begin = kCategoryRuns;
  const CategoryRun* end = kCategoryRuns + kNumCategoryRuns;
  const CategoryRun* it = std::upper_bound(
      begin, end, cp, [](uint32_t value, const CategoryRun& run) { return value < run.first; });
  return it == begin ? UnicodeClass::kUndefined : (it - 1)->cls;
}

bool is_whitespace(uint32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

}  // namespace asc::unicode
