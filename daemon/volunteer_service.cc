#include "volunteer_service.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "alert_avro.h"
#include "alert_messages.h"
#include "log.h"
#include "png_writer.h"
#include "queue_priority.h"
#include "stretch.h"
#include "token.h"
#include "training_rate.h"

namespace blink {
namespace {

constexpr int kOffersConsidered = 200;  // newest open subjects ranked per request
constexpr int kHistoryShown = 200;
constexpr int kDiscoverersCredited = 3;
constexpr int kCutoutUpscale = 4;  // 63 px -> 252 px, sharp in any browser
// About 1,000 stamps of ~16 KB: every subject in a busy night's queue.
constexpr size_t kCutoutCacheBytes = 16 << 20;

double uniform01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 1)(rng);
}

std::string url_encode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

nlohmann::ordered_json finite_or_null(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json();
}

nlohmann::ordered_json skill_json(const review::Skill& skill) {
  nlohmann::ordered_json j;
  j["real_when_real"] = skill.p_real();
  j["bogus_when_bogus"] = skill.p_bogus();
  j["training_seen"] = skill.training_subjects();
  j["weight"] = review::relative_vote_weight(skill);
  j["summary"] = review::describe_skill(skill);
  j["why"] =
      "Each vote moves a candidate's probability of being real by an amount that depends on how "
      "often you were right on training subjects (artificial stars Blink added, and known "
      "artefacts) and on candidates the volunteers together went on to settle. Votes that are "
      "right more often move it further. Nobody is excluded: every "
      "vote counts, and the weights are shown to you as they are used.";
  return j;
}

// A subject the crowd retired real or bogus teaches each of its voters, as a
// share `weight` of a training subject (SWAP's learning from consensus). An
// odd answer says nothing about real or bogus and teaches nothing.
void learn_from_consensus(VoteEffects& fx, int64_t voter, Answer answer,
                          const std::vector<HistoryRow>& earlier, double weight) {
  const bool real = fx.verdict == "real";
  auto delta = [&](int64_t id, std::string_view said) -> std::optional<VoteEffects::SkillDelta> {
    if (said != "real" && said != "bogus") return std::nullopt;
    VoteEffects::SkillDelta d;
    d.volunteer_id = id;
    (real ? d.real_seen : d.bogus_seen) = weight;
    if (real && said == "real") d.real_said_real = weight;
    if (!real && said == "bogus") d.bogus_said_bogus = weight;
    return d;
  };
  for (const HistoryRow& h : earlier)
    if (auto d = delta(h.volunteer_id, h.answer)) fx.consensus.push_back(*d);
  if (auto d = delta(voter, review::answer_name(answer))) {
    fx.d_real_seen += d->real_seen;
    fx.d_real_said_real += d->real_said_real;
    fx.d_bogus_seen += d->bogus_seen;
    fx.d_bogus_said_bogus += d->bogus_said_bogus;
  }
}

}  // namespace

review::Skill skill_of(const VolunteerRow& v) {
  review::ConfusionCounts c;
  c.real_as_real = v.real_said_real;
  c.real_as_bogus = std::max(0.0, v.real_seen - v.real_said_real);
  c.bogus_as_bogus = v.bogus_said_bogus;
  c.bogus_as_real = std::max(0.0, v.bogus_seen - v.bogus_said_bogus);
  c.training_subjects = v.training_seen;
  return review::Skill({}, c);
}

VolunteerService::VolunteerService(ReviewStore& reviews, Store& store, CandidateSink& sink,
                                   Metrics* metrics, ReviewSettings settings,
                                   std::function<double()> now)
    : reviews_(reviews),
      store_(store),
      sink_(sink),
      metrics_(metrics),
      now_(std::move(now)),
      settings_(settings),
      cutouts_(kCutoutCacheBytes) {}

void VolunteerService::set_settings(ReviewSettings settings) {
  std::lock_guard lock(settings_mutex_);
  settings_ = settings;
}

ReviewSettings VolunteerService::settings() const {
  std::lock_guard lock(settings_mutex_);
  return settings_;
}

Result<Signup> VolunteerService::sign_up(const std::string& display_name) {
  auto token = new_token();
  if (!token) return token.status();
  auto id = reviews_.add_volunteer(display_name, token_hash(*token), now_());
  if (!id) return id.status();
  if (metrics_) metrics_->volunteer_signed_up();
  log_info("volunteer " + std::to_string(*id) + " signed up");
  return Signup{*id, display_name, *token};
}

Result<std::optional<VolunteerRow>> VolunteerService::authenticate(const std::string& token) {
  if (!well_formed_token(token)) return std::optional<VolunteerRow>();
  return reviews_.volunteer_by_token(token_hash(token));
}

nlohmann::ordered_json VolunteerService::subject_json(const SubjectRow& s) const {
  const CandidateRow& row = s.candidate;
  const Candidate& c = row.candidate.measured;
  nlohmann::ordered_json j;
  j["candidate_id"] = s.candidate_id;
  j["field"] = row.exposure.field;
  j["band"] = row.exposure.band;
  j["ccd"] = row.exposure.ccd;
  j["mjd_obs"] = row.exposure.mjd_obs;
  j["ra"] = finite_or_null(c.ra);
  j["dec"] = finite_or_null(c.dec);
  j["mag"] = finite_or_null(c.mag);
  j["snr"] = finite_or_null(c.snr);
  // A training subject's machine score would give it away (fakes score high).
  j["real_bogus"] = s.training ? nlohmann::ordered_json() : finite_or_null(c.real_bogus);
  j["votes_so_far"] = s.n_votes;
  const std::string base = "/api/v1/cutouts/" + url_encode(s.candidate_id) + "/";
  j["cutouts"] = {{"science", base + "science.png"},
                  {"reference", base + "reference.png"},
                  {"difference", base + "difference.png"}};
  return j;
}

Result<nlohmann::ordered_json> VolunteerService::next(const VolunteerRow& volunteer,
                                                      const std::set<std::string>& skipped) {
  const ReviewSettings cfg = settings();
  const double now = now_();
  nlohmann::ordered_json out;

  // A page reload shows the same subject again while its lease lasts.
  auto leased = reviews_.current_lease(volunteer.id, now);
  if (!leased) return leased.status();
  if (*leased && !skipped.count(**leased)) {
    auto s = reviews_.subject(**leased);
    if (!s) return s.status();
    if (*s) {
      out["subject"] = subject_json(**s);
      return out;
    }
  }

  const double rate = review::training_rate(
      volunteer.classifications,
      review::TrainingSchedule{cfg.training_rate_initial, cfg.training_rate_floor,
                               cfg.training_rate_half_life});
  const bool want_training = uniform01() < rate;
  std::optional<std::string> chosen_id;
  for (bool training : {want_training, !want_training}) {
    auto offers = reviews_.offers_for(volunteer.id, training, kOffersConsidered, now);
    if (!offers) return offers.status();
    double best = -1e300;
    for (const ReviewStore::Offer& offer : *offers) {
      // Enough people are already looking at it to retire it.
      if (offer.leased_by_others + offer.n_votes >= cfg.retirement.max_votes) continue;
      if (skipped.count(offer.candidate_id)) continue;
      review::QueueSubject item;
      item.age_hours = std::max(0.0, now - offer.created_unix) / 3600;
      item.posterior = offer.posterior;
      item.votes = offer.n_votes;
      item.anomaly = offer.anomalous;
      // Spread volunteers over subjects: someone else is already looking at this one.
      double p = review::queue_priority(item, cfg.retirement) / (1 + offer.leased_by_others);
      if (p > best) {
        best = p;
        chosen_id = offer.candidate_id;
      }
    }
    if (chosen_id) break;
  }
  // The whole row, for the page, of the one subject chosen.
  std::optional<SubjectRow> chosen;
  if (chosen_id) {
    auto s = reviews_.subject(*chosen_id);
    if (!s) return s.status();
    chosen = std::move(*s);
  }
  if (!chosen) {
    out["subject"] = nullptr;
    out["message"] =
        "Nothing waiting for you right now. Thank you! New candidates arrive as the night goes on.";
    return out;
  }
  if (Status s = reviews_.lease(volunteer.id, chosen->candidate_id, now + cfg.lease_seconds); !s)
    return s;
  out["subject"] = subject_json(*chosen);
  return out;
}

VoteEffects VolunteerService::decide(const SubjectRow& subject, const VolunteerRow& volunteer,
                                     const std::vector<HistoryRow>& earlier, Answer answer,
                                     const ReviewSettings& cfg) const {
  VoteEffects fx;
  const review::Skill skill = skill_of(volunteer);
  fx.weight = answer == Answer::kOdd ? 0.0 : review::vote_weight(skill);
  if (subject.training) {
    // Training subjects teach the skill model; their posterior stays the truth.
    fx.posterior_after = subject.posterior;
    if (answer != Answer::kOdd) {
      const bool truth_real = subject.truth == "real";
      fx.correct = (answer == Answer::kReal) == truth_real;
      fx.counts_as_training = true;
      if (truth_real) {
        fx.d_real_seen = 1;
        fx.d_real_said_real = answer == Answer::kReal ? 1 : 0;
      } else {
        fx.d_bogus_seen = 1;
        fx.d_bogus_said_bogus = answer == Answer::kBogus ? 1 : 0;
      }
    }
    return fx;
  }
  // The first vote starts from the machine's score, clamped so that no
  // machine score is ever a verdict on its own.
  const double before =
      subject.n_votes == 0 ? review::machine_prior(subject.prior) : subject.posterior;
  fx.posterior_after = review::update_posterior(before, answer, skill);
  auto d = review::decide(fx.posterior_after, subject.n_votes + 1, answer, skill, cfg.retirement);
  switch (d.decision) {
    case review::Decision::kContinue:
      break;
    case review::Decision::kRetireReal:
      fx.new_state = "retired";
      fx.verdict = "real";
      for (const HistoryRow& h : earlier)
        if (h.answer == "real" && int(fx.discoverers.size()) < kDiscoverersCredited)
          fx.discoverers.push_back(h.volunteer_id);
      if (answer == Answer::kReal && int(fx.discoverers.size()) < kDiscoverersCredited)
        fx.discoverers.push_back(volunteer.id);
      break;
    case review::Decision::kRetireBogus:
      fx.new_state = "retired";
      fx.verdict = "bogus";
      break;
    case review::Decision::kRetireUndecided:
      fx.new_state = "retired";
      fx.verdict = "undecided";
      break;
    case review::Decision::kEscalate:
      fx.new_state = "escalated";
      break;
  }
  fx.reason = d.reason;
  if ((fx.verdict == "real" || fx.verdict == "bogus") && cfg.consensus_weight > 0)
    learn_from_consensus(fx, volunteer.id, answer, earlier, cfg.consensus_weight);
  return fx;
}

Result<nlohmann::ordered_json> VolunteerService::classify(const VolunteerRow& volunteer,
                                                          const std::string& candidate_id,
                                                          Answer answer,
                                                          const std::string& comment) {
  const ReviewSettings cfg = settings();
  const double now = now_();
  SubjectRow subject_seen;
  auto fx = reviews_.record_vote(
      volunteer.id, candidate_id, std::string(review::answer_name(answer)), comment, now,
      [&](const SubjectRow& s, const VolunteerRow& v, const std::vector<HistoryRow>& earlier) {
        subject_seen = s;
        return decide(s, v, earlier, answer, cfg);
      });
  if (!fx) return fx.status();
  if (metrics_) metrics_->classification(review::answer_name(answer), subject_seen.training);
  if (fx->new_state != "open") {
    if (metrics_)
      metrics_->subject_finished(fx->new_state == "escalated" ? "escalated" : fx->verdict);
    publish_verdict(subject_seen, *fx, now);
  }

  nlohmann::ordered_json out;
  out["recorded"] = true;
  if (subject_seen.training) {
    nlohmann::ordered_json f;
    f["truth"] = subject_seen.truth;
    f["correct"] = fx->correct ? nlohmann::ordered_json(*fx->correct) : nlohmann::ordered_json();
    std::string verdict = !fx->correct   ? "Thanks for flagging it. "
                          : *fx->correct ? "You were right. "
                                         : "Not this time. ";
    f["message"] = verdict + subject_seen.truth_note;
    out["feedback"] = f;
  } else {
    out["feedback"] = nullptr;
  }
  auto me = reviews_.volunteer(volunteer.id);
  if (!me) return me.status();
  out["skill"] = skill_json(skill_of(*me));
  return out;
}

void VolunteerService::publish_verdict(const SubjectRow& s, const VoteEffects& fx, double now) {
  if (s.training) return;  // injected fakes and known artefacts are not news
  const CandidateRow& row = s.candidate;
  const Candidate& c = row.candidate.measured;
  nlohmann::ordered_json j;
  j["schema"] = "blink.verdict/1";
  j["candidate_id"] = s.candidate_id;
  j["exposure_id"] = row.exposure.exposure_id;
  j["field"] = row.exposure.field;
  j["band"] = row.exposure.band;
  j["ccd"] = row.exposure.ccd;
  j["mjd_obs"] = row.exposure.mjd_obs;
  j["ra"] = finite_or_null(c.ra);
  j["dec"] = finite_or_null(c.dec);
  j["mag"] = finite_or_null(c.mag);
  j["state"] = fx.new_state;
  j["verdict"] = fx.verdict.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(fx.verdict);
  j["reason"] = fx.reason;
  j["posterior"] = fx.posterior_after;
  j["machine_prior"] = s.prior;
  j["votes"] = s.n_votes + 1;
  nlohmann::ordered_json credited = nlohmann::ordered_json::array();
  for (int64_t id : fx.discoverers) {
    auto v = reviews_.volunteer(id);
    credited.push_back(
        {{"volunteer_id", id}, {"display_name", v && !v->deleted ? v->display_name : ""}});
  }
  j["discoverers"] = credited;
  j["retired_unix"] = now;
  std::string avro;  // the Avro form too when the sink wants it (alerts.avro)
  if (sink_.forms() == AlertForms::kJsonAndAvro) {
    if (auto packet = encode_verdict_avro(j))
      avro = std::move(*packet);
    else
      log_error(packet.status().message());
  }
  std::vector<OutgoingMessage> batch;
  batch.push_back({"candidate.verdict", std::move(j)});
  if (!avro.empty()) batch.push_back({avro_topic("candidate.verdict"), nullptr, std::move(avro)});
  if (Status st = sink_.publish(std::move(batch)); !st)
    log_error("verdict on " + s.candidate_id + ": " + st.message());
  log_info("subject " + s.candidate_id + " " + fx.new_state +
           (fx.verdict.empty() ? "" : " verdict=" + fx.verdict) +
           " votes=" + std::to_string(s.n_votes + 1));
}

Result<nlohmann::ordered_json> VolunteerService::me(const VolunteerRow& volunteer) {
  auto v = reviews_.volunteer(volunteer.id);
  if (!v) return v.status();
  auto history = reviews_.history(volunteer.id, kHistoryShown);
  if (!history) return history.status();
  auto found = reviews_.discoveries(volunteer.id);
  if (!found) return found.status();

  nlohmann::ordered_json out;
  out["volunteer_id"] = v->id;
  out["display_name"] = v->display_name;
  out["joined_unix"] = v->joined_unix;
  out["classifications"] = v->classifications;
  out["skill"] = skill_json(skill_of(*v));
  const ReviewSettings cfg = settings();
  out["training_share"] = review::training_rate(
      v->classifications,
      review::TrainingSchedule{cfg.training_rate_initial, cfg.training_rate_floor,
                               cfg.training_rate_half_life});
  nlohmann::ordered_json h = nlohmann::ordered_json::array();
  for (const HistoryRow& r : *history) {
    nlohmann::ordered_json e;
    e["candidate_id"] = r.candidate_id;
    e["answer"] = r.answer;
    e["comment"] = r.comment;
    e["voted_unix"] = r.voted_unix;
    e["weight"] = finite_or_null(r.weight);
    if (r.training)
      e["status"] = "training";
    else if (r.subject_state == "retired")
      e["status"] = "retired: " + r.verdict;
    else
      e["status"] = r.subject_state;
    if (r.training && (r.correct || !r.truth.empty())) {
      e["feedback"] = {
          {"truth", r.truth},
          {"correct", r.correct ? nlohmann::ordered_json(*r.correct) : nlohmann::ordered_json()},
          {"message", r.truth_note}};
    } else {
      e["feedback"] = nullptr;
    }
    h.push_back(std::move(e));
  }
  out["history"] = std::move(h);
  nlohmann::ordered_json d = nlohmann::ordered_json::array();
  for (const DiscoveryRow& r : *found) {
    d.push_back({{"candidate_id", r.candidate_id},
                 {"rank", r.rank},
                 {"field", r.field},
                 {"band", r.band},
                 {"ra", finite_or_null(r.ra)},
                 {"dec", finite_or_null(r.dec)},
                 {"mjd_obs", finite_or_null(r.mjd_obs)},
                 {"mag", finite_or_null(r.mag)},
                 {"confirmed_unix", r.credited_unix}});
  }
  out["discoveries"] = std::move(d);
  return out;
}

Status VolunteerService::delete_account(const VolunteerRow& volunteer) {
  Status s = reviews_.delete_volunteer(volunteer.id, now_());
  if (s) log_info("volunteer " + std::to_string(volunteer.id) + " deleted their account");
  return s;
}

Status VolunteerService::erase_volunteer(int64_t volunteer_id) {
  auto v = reviews_.volunteer(volunteer_id);
  if (!v) return v.status();
  Status s = reviews_.delete_volunteer(volunteer_id, now_());
  if (s) log_info("volunteer " + std::to_string(volunteer_id) + " erased by an operator");
  return s;
}

Result<std::string> VolunteerService::cutout_png(const std::string& candidate_id, CutoutKind kind) {
  const std::string key = candidate_id + (kind == CutoutKind::kScience     ? "/science"
                                          : kind == CutoutKind::kReference ? "/reference"
                                                                           : "/difference");
  if (auto png = cutouts_.get(key)) return std::move(*png);
  auto triplet = store_.cutouts_of(candidate_id);
  if (!triplet) return triplet.status();
  Image stamp(triplet->size, triplet->size);
  const std::vector<float>& src = kind == CutoutKind::kScience     ? triplet->science
                                  : kind == CutoutKind::kReference ? triplet->reference
                                                                   : triplet->difference;
  std::copy(src.begin(), src.end(), stamp.pixels.begin());
  auto grey = render_stamp(
      stamp, kind == CutoutKind::kDifference ? StretchKind::kSymmetric : StretchKind::kAsinh,
      kCutoutUpscale);
  if (!grey) return grey.status().with_context("rendering cutout of " + candidate_id);
  auto png = encode_png_grey(*grey);
  if (png) cutouts_.put(key, *png);
  return png;
}

void VolunteerService::refresh_metrics() {
  if (!metrics_) return;
  const double now = now_();
  auto stats = reviews_.queue_stats(now, settings().active_window_seconds);
  if (!stats) {
    log_warning("review metrics: " + stats.status().message());
    return;
  }
  metrics_->set_review_queue(stats->open_subjects,
                             stats->oldest_open_unix > 0 ? now - stats->oldest_open_unix : 0,
                             stats->active_volunteers);
}

}  // namespace blink
