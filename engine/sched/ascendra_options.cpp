// Parsing of the Ascendra option string (see ascendra_options.h).
#include "engine/sched/ascendra_options.h"

#include <cstdlib>
#include <sstream>
#include <string_view>

namespace asc {
namespace {

StatusOr<bool> parse_bool(std::string_view key, std::string_view v) {
  if (v == "1" || v == "true" || v == "on" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "off" || v == "no") return false;
  return invalid_argument("ascendra option " + std::string(key) + ": expected 0 or 1, got '" +
                          std::string(v) + "'");
}

StatusOr<double> parse_number(std::string_view key, std::string_view v) {
  std::string s(v);
  char* end = nullptr;
  double x = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !(x >= 0.0)) {
    return invalid_argument("ascendra option " + std::string(key) + ": expected a number >= 0, got '" +
                            s + "'");
  }
  return x;
}

Status apply_option(AscendraOptions& o, std::string_view key, std::string_view v) {
  auto set_bool = [&](bool& field) -> Status {
    auto b = parse_bool(key, v);
    if (!b) return b.status();
    field = *b;
    return Status::ok();
  };
  if (key == "value") {
    auto fn = parse_value_function(v);
    if (!fn) return invalid_argument("ascendra option value: expected slack or sjf, got '" + std::string(v) + "'");
    o.value = *fn;
    return Status::ok();
  }
  if (key == "hopeless") {
    if (v == "paper") o.hopeless = HopelessOrder::kPaper;
    else if (v == "demote") o.hopeless = HopelessOrder::kDemote;
    else return invalid_argument("ascendra option hopeless: expected paper or demote, got '" + std::string(v) + "'");
    return Status::ok();
  }
  if (key == "margin") {
    if (v == "full") o.queue_margin = false;
    else if (v == "queue") o.queue_margin = true;
    else return invalid_argument("ascendra option margin: expected full or queue, got '" + std::string(v) + "'");
    return Status::ok();
  }
  if (key == "dispatch") {
    if (v == "rr" || v == "round-robin") o.dispatch = LpDispatch::kRoundRobin;
    else if (v == "delay") o.dispatch = LpDispatch::kPredictedDelay;
    else return invalid_argument("ascendra option dispatch: expected rr or delay, got '" + std::string(v) + "'");
    return Status::ok();
  }
  if (key == "margin_scale" || key == "margin_ms" || key == "tbt_headroom") {
    auto x = parse_number(key, v);
    if (!x) return x.status();
    if (key == "tbt_headroom" && (*x <= 0.0 || *x > 1.0)) {
      return invalid_argument("ascendra option tbt_headroom: expected a number in (0, 1], got '" + std::string(v) + "'");
    }
    if (key == "margin_scale") o.margin_scale = *x;
    else if (key == "tbt_headroom") o.tbt_headroom = *x;
    else o.margin_s = *x / 1000.0;
    return Status::ok();
  }
  if (key == "offload") return set_bool(o.offload);
  if (key == "ticket") {
    o.ticket_balanced = v == "balanced";
    if (o.ticket_balanced) {
      o.ticket = true;
      return Status::ok();
    }
    auto b = parse_bool(key, v);
    if (!b) return invalid_argument("ascendra option ticket: expected 0, 1 or balanced, got '" + std::string(v) + "'");
    o.ticket = *b;
    return Status::ok();
  }
  if (key == "tbt_budget") return set_bool(o.tbt_budget);
  if (key == "hp_aware") return set_bool(o.hp_aware);
  if (key == "admission") return set_bool(o.admission);
  if (key == "migration") return set_bool(o.migration);
  if (key == "hp_enforce_max_seqs") return set_bool(o.hp_enforce_max_seqs);
  return invalid_argument("unknown ascendra option '" + std::string(key) +
                          "' (known: value, hopeless, offload, margin_scale, margin_ms, margin, ticket, "
                          "tbt_budget, dispatch, hp_aware, admission, migration, hp_enforce_max_seqs, tbt_headroom)");
}

}  // namespace

StatusOr<AscendraOptions> parse_ascendra_options(const std::string& text) {
  AscendraOptions o;
  std::string_view rest(text);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      // A bare name switches a boolean extension on ("tbt_budget" == "tbt_budget=1").
      Status s = apply_option(o, item, "1");
      if (!s.is_ok()) return s;
      continue;
    }
    Status s = apply_option(o, item.substr(0, eq), item.substr(eq + 1));
    if (!s.is_ok()) return s;
  }
  return o;
}

std::string ascendra_options_to_string(const AscendraOptions& o) {
  std::ostringstream s;
  s << "value=" << value_function_name(o.value)
    << ",hopeless=" << (o.hopeless == HopelessOrder::kPaper ? "paper" : "demote")
    << ",offload=" << o.offload << ",margin_scale=" << o.margin_scale;
  if (o.margin_s >= 0.0) s << ",margin_ms=" << o.margin_s * 1000.0;
  s << ",margin=" << (o.queue_margin ? "queue" : "full");
  s << ",ticket=" << (o.ticket_balanced ? "balanced" : o.ticket ? "1" : "0") << ",tbt_budget=" << o.tbt_budget
    << ",dispatch=" << (o.dispatch == LpDispatch::kRoundRobin ? "rr" : "delay")
    << ",hp_aware=" << o.hp_aware << ",admission=" << o.admission << ",migration=" << o.migration
    << ",hp_enforce_max_seqs=" << o.hp_enforce_max_seqs << ",tbt_headroom=" << o.tbt_headroom;
  return s.str();
}

}  // namespace asc
