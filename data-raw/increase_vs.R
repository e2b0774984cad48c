# Synthetic microdata for the INCREASE VS example: increase_vs_frame (everyone
# who started), increase_vs (survey answers), increase_vs_report (the
# published figures), and the same data as raw survey exports.
#
# Run from the package root (base R only, deterministic):
#   Rscript data-raw/increase_vs.R
# Writes data/increase_vs*.rda (xz) and inst/extdata/increase_vs/*.csv, then
# checks that complete-case figures reproduce the published ones.
#
# The evaluation's microdata are not public. Only its figures are
# (inst/extdata/increase_vs/report_figures.csv, from the French executive
# summary). Everything below the figures is invented: a plausible model,
# calibrated so that the figures come out as published.
#
# GENERATIVE MODEL ---------------------------------------------------------
#
# z(x) below is x standardised over all starters.
#
# 1. Starters (6,259). Partner counts are fixed (PARTNERS below); country
#    and approach follow from the partner. Gender, age, status at entry
#    (unemployed / inactive / in work) and months out of work depend on the
#    approach: the parallel and collective approaches reach people further
#    from work (more inactive, longer out of work), collective reaches older
#    residents.
# 2. Latent traits, standard-normal scale: self-efficacy
#    s = z(-0.3 z(log(1 + months)) + 0.25 [in work] + noise); wellbeing
#    b = 0.65 s + noise; goal engagement g = 0.5 s + 0.3 b + noise; three
#    MHC-SF subscale traits (emotional, social, psychological) loading
#    0.85, 0.75, 0.85 on b.
# 3. Completion: the 4,526 starters with the highest index
#    0.3 s - 0.25 z(months) + 0.1 female + approach effect + logistic noise
#    follow the training to its end.
# 4. Employment, for everyone (only completers are ever surveyed).
#    T1 (before training) from the status at entry: in work -> employed
#    (70%) or self-employed; a few people the records call unemployed are
#    inactive or in training, and the other way round.
#    T2 (right after training): someone not in work moves into work with
#    probability plogis(a2[approach] + 0.9 s - 0.35 z(months)
#    + 0.3 [unemployed]), a2 = (-2.1, -2.1, 0.05, -2.6) for integrated,
#    parallel, collaborative, collective; self-employed rather than employed
#    with probability (0.58, 0.40, 0.45, 0.50); 1.5% other changes; 97% of
#    people in work stay in work.
#    T3 (six months after): the same step from T2 with
#    a3 = (-1.45, -1.7, -1.5, -3.0), self-employed shares
#    (0.66, 0.44, 0.50, 0.55), 16% other changes (70% of them into
#    training), and 93, 93, 82, 90% of people in work staying in work.
#    Self-efficacy therefore predicts moves into work at both waves.
# 5. Questionnaire at each wave (for everyone, observed only when the person
#    answers): latent score = trait + gain + occasion noise (SD 0.45).
#    Gain at T2: 0.30 + 0.1 [parallel] + 0.25 [moved into work by T2] + u;
#    at T3: 0.40 + 0.1 [parallel] + 0.3 [moved into work by T3] + 1.2 u,
#    u ~ N(0, 0.3^2) a person's own response to the programme (self-efficacy
#    and goals take 0.9 of the gain). Items are ordinal cuts of
#    item-specific readings (loading about 0.7) of the latent score:
#    MHC-SF 0-5, GSE 1-4, goal re-engagement 1-5. A few GSE and goal
#    re-engagement items are skipped (0.6% of items, at most 2 of 10 and 1
#    of 6 per questionnaire, within the scoring rules of instruments());
#    MHC-SF items, which need all 14, are never skipped. Satisfaction and
#    usefulness (T2, 1-5) = partner effect (England +0.45 to +0.55,
#    France -0.4 to -0.6) + 0.35 z(gain in wellbeing) + 0.2 [moved into
#    work] + noise, usefulness also following satisfaction.
#
# RESPONSE MECHANISM -------------------------------------------------------
#
# Monotone dropout: the survey's base is the 4,526 completers; T2 is asked
# of T1 respondents only and T3 of T2 respondents only (nobody returns, so
# attrition_weights(monotone = TRUE) applies). At each wave, within cells,
# the people answering are the k with the highest response index (linear
# predictor + standard logistic noise), i.e. a logistic response model
# whose intercept is cell-specific and set so that exactly k answer. The k
# (QUOTA_T1, QUOTA_T2, QUOTA_T3) are the published numbers. W1 is
# z(latent wellbeing at T1) (mean of the three MHC-SF subscale scores), G2
# and G3 are z(its gain from T1 to T2, T3):
#   T1: cells = approach.
#       Index = 0.3 W1 + 0.012 (age - 40) + 0.25 female - 0.1 z(months).
#   T2: cells = approach x change of employment T1 -> T2 (moved into work,
#       other change, no change), among T1 respondents.
#       Index = 0.8 G2 + 0.15 W1 + 0.015 (age - 40) + 0.2 female.
#   T3: cells = approach x status at T3 (employed, self-employed, other),
#       among T2 respondents.
#       Index = 0.8 G3 + 0.15 W1 + 0.015 (age - 40).
# The quotas are not proportional to the cells' sizes, so response depends
# on the employment outcome itself: people who moved into work answer T2
# (26% of those among T1 respondents, against 37% of the others), and
# people in work at T3 answer T3 (56% of those among T2 respondents,
# against 75%), less often than the others.
# Response also rises with the gain in wellbeing, unobserved for those who
# do not answer. Both are missing not at random: weighting on covariates
# and earlier answers corrects part of the bias only. The script prints the
# response rates by cell, and the full-response values among completers
# next to the complete-case ones.

# MONITORING OUTCOMES (the frame) ----------------------------------------
#
# Mutually exclusive. For completers they come from the same latent
# statuses as the survey: business_created = self-employed at T3 and not at
# T1; job = employed at T3 and not at T1; further_training = in training at
# T3 and not at T1. For non-completers, the remaining numbers up to the
# published totals (1,020 businesses, 1,136 jobs, 438 in further training)
# are drawn by weighted sampling, more likely with higher self-efficacy
# (and, for a job, a shorter spell out of work). This leaves about 14% of
# non-completers with a business and 28% with a job, against 17% and 14% of
# completers: many who left early left for work.
#
# ASSUMPTIONS TO REVISIT ---------------------------------------------------
#
# * Partner -> approach (PARTNERS): no public source says which English
#   partner ran which English approach. Assumed: Optivo (now Southern
#   Housing) and Abri integrated, Clarion parallel. France: Archipel
#   Habitat, NEOTOA and WeKer (Rennes) collaborative; Pas-de-Calais Habitat,
#   Logirep and INCO collective. Change the table to change the assumption;
#   the quotas are per approach, so the published figures still hold.
# * The response rates 27.6 / 9.5 / 6.4% are read as shares of the 4,526
#   completers (1,249 / 430 / 290 respondents), the reading the notes of
#   report_figures.csv favour.
# * Group sizes at T2 and T3 are not published. They were chosen so that
#   every published percentage, by group and overall, is reproduced exactly
#   after rounding: integrated / parallel / collaborative / collective are
#   540 / 349 / 195 / 165 at T1, 200 / 120 / 53 / 57 at T2 and
#   145 / 90 / 25 / 30 at T3 ("47%" of collaborative is 25 of 53; "28%"
#   and "20%" at T3 are 7 and 5 of 25). Since 47% of collaborative moved
#   into work and 85% of everyone did not change, collaborative must be a
#   small share of T2; the published T3 percentages of collaborative round
#   exactly only for groups of 25, 46, 50 or 54 (of at most 53 at T2), and
#   46 of 53 would leave too few people in work to choose from.
#
# RAW EXPORTS (inst/extdata/increase_vs/) --------------------------------
#
#   england_T1.csv, england_T2.csv, england_T3.csv  Qualtrics-style: UTF-8
#     with byte-order mark, CRLF line ends, comma, three header rows (names,
#     question text, ImportId), metadata columns (StartDate ...
#     UserLanguage), rows in order of reply. Question texts are generic
#     ("Wellbeing item 1"): no item wording is shipped.
#   france_T1.csv, france_T2.csv, france_T3.csv  semicolon, decimal comma,
#     Latin-1; metadata horodatage (dd/mm/yyyy hh:mm) and duree_min
#     (minutes, one decimal); gender and employment with the French
#     questionnaire's labels (Féminin/Masculin; sans emploi, salarié,
#     indépendant, en formation, inactif).
#   frame.csv  the programme records (increase_vs_frame), UTF-8, comma.
#   report_figures.csv  the published figures (input of this script).
# The survey variables have the same names in both countries (the
# evaluators' codebook); satisfaction and usefulness exist in the T2 files
# only. tests/testthat/test-increase-vs.R rebuilds increase_vs from these.

set.seed(20221130)

out_data <- "data"
out_raw <- file.path("inst", "extdata", "increase_vs")
stopifnot(file.exists("DESCRIPTION"), dir.exists(out_raw))

# Settings ------------------------------------------------------------------

PARTNERS <- data.frame(
  partner = c("Optivo", "Abri", "Clarion",
              "Archipel Habitat", "NEOTOA", "WeKer",
              "Pas-de-Calais Habitat", "Logirep", "INCO"),
  country = rep(c("England", "France"), c(3, 6)),
  approach = c("integrated", "integrated", "parallel",
               rep("collaborative", 3), rep("collective", 3)),
  starters = c(1480L, 960L, 1610L, 430L, 380L, 290L, 520L, 380L, 209L),
  stringsAsFactors = FALSE
)
APPROACHES <- c("integrated", "parallel", "collaborative", "collective")
STATUSES <- c("unemployed", "employed", "self_employed", "training",
              "inactive")
IN_WORK <- c("employed", "self_employed")

N_COMPLETED <- 4526L
# Monitoring totals among all starters (published).
N_BUSINESS <- 1020L
N_JOB <- 1136L
N_TRAINING <- 438L  # 7.0% of 6,259

# Respondents per approach (T1), per approach and change T1 -> T2 (T2), per
# approach and status at T3 (T3).
QUOTA_T1 <- c(integrated = 540L, parallel = 349L, collaborative = 195L,
              collective = 165L)
QUOTA_T2 <- list(
  integrated = c(moved = 22L, other = 1L, same = 177L),
  parallel = c(moved = 13L, other = 1L, same = 106L),
  collaborative = c(moved = 25L, other = 0L, same = 28L),
  collective = c(moved = 4L, other = 0L, same = 53L)
)
QUOTA_T3 <- list(
  integrated = c(employed = 22L, self_employed = 32L, other = 91L),
  parallel = c(employed = 15L, self_employed = 10L, other = 65L),
  collaborative = c(employed = 7L, self_employed = 5L, other = 13L),
  collective = c(employed = 2L, self_employed = 2L, other = 26L)
)

# Helpers -------------------------------------------------------------------

# One draw per row from the categories `levels` with row-wise probabilities.
draw <- function(prob, levels) {
  prob <- prob / rowSums(prob)
  u <- runif(nrow(prob))
  levels[1L + rowSums(u > t(apply(prob, 1L, cumsum))[, -ncol(prob),
                                                      drop = FALSE])]
}

zscore <- function(x) (x - mean(x)) / sd(x)

# The k largest of `index` within each cell among `eligible`: a logistic
# threshold model with a cell-specific cut-off.
select_quota <- function(eligible, cell, quota, index, what) {
  chosen <- logical(length(eligible))
  for (cl in names(quota)) {
    pool <- which(eligible & cell == cl)
    k <- quota[[cl]]
    if (length(pool) < k) {
      stop(sprintf("%s: cell '%s' has %d people, quota %d", what, cl,
                   length(pool), k))
    }
    chosen[pool[order(-index[pool])][seq_len(k)]] <- TRUE
  }
  chosen
}

# Ordinal reading of a latent score: the number of cut points below it.
ordinal <- function(latent, cuts, low) {
  low + findInterval(latent, cuts)
}

# Starters ------------------------------------------------------------------

n <- sum(PARTNERS$starters)
partner_row <- sample(rep(seq_len(nrow(PARTNERS)), PARTNERS$starters))
partner <- PARTNERS$partner[partner_row]
approach <- PARTNERS$approach[partner_row]
country <- PARTNERS$country[partner_row]
ap <- match(approach, APPROACHES)

female <- runif(n) < c(0.58, 0.62, 0.60, 0.66)[ap]
age <- as.integer(pmin(pmax(round(rnorm(n, c(39, 41, 37, 46)[ap], 11)), 18),
                       66))
prior_prob <- rbind(
  integrated = c(0.55, 0.35, 0.10),
  parallel = c(0.48, 0.45, 0.07),
  collaborative = c(0.62, 0.30, 0.08),
  collective = c(0.34, 0.62, 0.04)
)
prior_status <- draw(prior_prob[ap, ], c("unemployed", "inactive", "in_work"))
months <- ifelse(
  prior_status == "in_work", 0,
  round(exp(rnorm(n, ifelse(prior_status == "unemployed", log(14), log(45)) +
                    0.25 * (approach %in% c("parallel", "collective")),
                  0.85)))
)
months <- as.integer(pmin(pmax(months, ifelse(prior_status == "in_work", 0, 1)),
                          (age - 16L) * 12L))
z_months <- zscore(log1p(months))

# Latent traits -------------------------------------------------------------

s <- zscore(-0.3 * z_months + 0.25 * (prior_status == "in_work") + rnorm(n))
b <- 0.65 * s + sqrt(1 - 0.65^2) * rnorm(n)
g <- 0.5 * s + 0.3 * b + 0.78 * rnorm(n)
sub_trait <- sapply(c(emotional = 0.85, social = 0.75, psychological = 0.85),
                    function(l) l * b + sqrt(1 - l^2) * rnorm(n))

# Completion ----------------------------------------------------------------

completion_index <- 0.3 * s - 0.25 * z_months + 0.1 * female +
  c(0.2, -0.1, 0.2, -0.2)[ap] + rlogis(n)
completed <- seq_len(n) %in% order(-completion_index)[seq_len(N_COMPLETED)]

# Employment ----------------------------------------------------------------

t1_status <- ifelse(
  prior_status == "in_work",
  ifelse(runif(n) < 0.7, "employed", "self_employed"),
  ifelse(prior_status == "unemployed",
         draw(matrix(c(0.94, 0.03, 0.03), n, 3, byrow = TRUE),
              c("unemployed", "inactive", "training")),
         draw(matrix(c(0.05, 0.86, 0.09), n, 3, byrow = TRUE),
              c("unemployed", "inactive", "training")))
)

# One step of the employment process. `a` = approach intercepts of moving
# into work, `se_share` = approach shares of self-employment among moves,
# `p_other` = chance of another change (into training or between
# unemployed and inactive), of which a share `p_training` into training,
# `p_stay` = chance that someone in work stays (per approach).
step_status <- function(from, a, se_share, p_other, p_training, p_stay) {
  # Every draw is one uniform per person, used or not, so that changing a
  # parameter changes only what it governs and not the rest of the stream.
  u <- matrix(runif(4L * n), n, 4L)
  out <- from
  not_work <- !from %in% IN_WORK
  p_move <- plogis(a[ap] + 0.9 * s - 0.35 * z_months +
                     0.3 * (from == "unemployed"))
  move <- not_work & u[, 1L] < p_move
  kind <- ifelse(u[, 2L] < se_share[ap], "self_employed", "employed")
  out[move] <- kind[move]
  other <- not_work & !move & u[, 3L] < p_other
  elsewhere <- ifelse(from == "training", "unemployed",
                      ifelse(u[, 4L] < p_training, "training",
                             ifelse(from == "unemployed", "inactive",
                                    "unemployed")))
  out[other] <- elsewhere[other]
  leave <- !not_work & u[, 3L] > rep_len(p_stay, 4L)[ap]
  lost <- ifelse(u[, 4L] < 0.8, "unemployed",
                 ifelse(from == "employed", "self_employed", "employed"))
  out[leave] <- lost[leave]
  out
}

t2_status <- step_status(t1_status,
                         a = c(-2.1, -2.1, 0.05, -2.6),
                         se_share = c(0.58, 0.4, 0.45, 0.5),
                         p_other = 0.015, p_training = 0.5, p_stay = 0.97)
t3_status <- step_status(t2_status,
                         a = c(-1.45, -1.7, -1.5, -3.0),
                         se_share = c(0.66, 0.44, 0.5, 0.55),
                         p_other = 0.16, p_training = 0.7,
                         p_stay = c(0.93, 0.93, 0.82, 0.9))

moved_t2 <- t2_status %in% IN_WORK & !t1_status %in% IN_WORK
moved_t3 <- t3_status %in% IN_WORK & !t1_status %in% IN_WORK

# Monitoring outcomes -------------------------------------------------------

business_created <- completed & t3_status == "self_employed" &
  t1_status != "self_employed"
job <- completed & t3_status == "employed" & t1_status != "employed"
further_training <- completed & t3_status == "training" &
  t1_status != "training"

fill_up <- function(flag, total, weight, free) {
  need <- total - sum(flag)
  pool <- which(free)
  if (need < 0L || need > length(pool)) {
    stop(sprintf("cannot reach a total of %d (%d already)", total, sum(flag)))
  }
  # Weighted sampling without replacement by exponential keys (Efraimidis
  # and Spirakis): the `need` smallest of E_i / weight_i.
  key <- rexp(length(flag)) / weight
  flag[pool[order(key[pool])][seq_len(need)]] <- TRUE
  flag
}
free <- !completed
business_created <- fill_up(business_created, N_BUSINESS, exp(0.6 * s), free)
free <- free & !business_created
job <- fill_up(job, N_JOB, exp(0.6 * s - 0.3 * z_months), free)
free <- free & !job
further_training <- fill_up(further_training, N_TRAINING,
                            exp(0.3 * s - 0.01 * (age - 40)), free)

# Questionnaire -------------------------------------------------------------

# Latent scores at each wave: trait + gain + occasion noise. One gain per
# person and wave drives all three instruments (0.9 of it for
# self-efficacy and goals); it is larger after a move into work.
person_gain <- 0.3 * rnorm(n)
gain <- list(
  T1 = rep(0, n),
  T2 = 0.30 + 0.1 * (approach == "parallel") + 0.25 * moved_t2 + person_gain,
  T3 = 0.40 + 0.1 * (approach == "parallel") + 0.3 * moved_t3 +
    1.2 * person_gain
)
latent <- lapply(gain, function(gn) {
  noise <- function() 0.45 * rnorm(n)
  list(
    wellbeing = sub_trait + gn + cbind(noise(), noise(), noise()),
    efficacy = s + 0.9 * gn + noise(),
    goals = g + 0.9 * gn + noise()
  )
})
wellbeing_level <- function(w) rowMeans(latent[[w]]$wellbeing)

# Item parameters are fixed across waves: loading and difficulty per item.
mhc_sub <- rep(1:3, c(3, 5, 6))
mhc_load <- c(0.80, 0.75, 0.80, 0.70, 0.65, 0.70, 0.65, 0.72,
              0.75, 0.70, 0.75, 0.78, 0.72, 0.74)
mhc_diff <- c(0.1, -0.1, -0.2, -0.35, -0.5, -0.3, -0.45, -0.25,
              0.1, 0.0, 0.15, 0.05, 0.2, -0.05)
gse_load <- c(0.72, 0.70, 0.68, 0.74, 0.70, 0.72, 0.66, 0.70, 0.73, 0.71)
gse_diff <- c(0.1, 0.0, -0.1, 0.05, -0.05, 0.15, -0.15, 0.0, 0.1, -0.1)
gre_load <- c(0.72, 0.75, 0.70, 0.74, 0.68, 0.73)
gre_diff <- c(0.0, 0.1, -0.1, 0.05, -0.05, 0.0)

items_at <- function(w) {
  lt <- latent[[w]]
  reading <- function(x, load, diff) {
    load * x + sqrt(1 - load^2) * rnorm(n) + diff
  }
  mhc <- sapply(1:14, function(j) {
    ordinal(reading(lt$wellbeing[, mhc_sub[j]] - 0.25, mhc_load[j],
                    mhc_diff[j]),
            c(-1.5, -0.8, -0.2, 0.4, 1.0), 0L)
  })
  gse <- sapply(1:10, function(j) {
    ordinal(reading(lt$efficacy, gse_load[j], gse_diff[j]),
            c(-1.3, -0.2, 0.9), 1L)
  })
  gre <- sapply(1:6, function(j) {
    ordinal(reading(lt$goals, gre_load[j], gre_diff[j]),
            c(-1.5, -0.6, 0.2, 1.1), 1L)
  })
  # Skipped items: at most 2 of the 10 GSE items, 1 of the 6 goal items.
  skip <- function(x, p, max_skip) {
    miss <- matrix(runif(length(x)) < p, nrow(x))
    too_many <- rowSums(miss) > max_skip
    miss[too_many, ] <- FALSE
    x[miss] <- NA_integer_
    x
  }
  gse <- skip(gse, 0.006, 2L)
  gre <- skip(gre, 0.006, 1L)
  storage.mode(mhc) <- storage.mode(gse) <- storage.mode(gre) <- "integer"
  colnames(mhc) <- paste0("mhc", 1:14)
  colnames(gse) <- paste0("gse", 1:10)
  colnames(gre) <- paste0("gre", 1:6)
  cbind(mhc, gse, gre)
}
items <- lapply(c(T1 = "T1", T2 = "T2", T3 = "T3"), items_at)

# Ratings of the programme at T2.
partner_effect <- c(Optivo = 0.45, Abri = 0.55, Clarion = 0.5,
                    "Archipel Habitat" = -0.45, NEOTOA = -0.4, WeKer = -0.6,
                    "Pas-de-Calais Habitat" = -0.4, Logirep = -0.5,
                    INCO = -0.45)[partner]
wb_gain_t2 <- wellbeing_level("T2") - wellbeing_level("T1")
rating_base <- partner_effect + 0.35 * zscore(wb_gain_t2) + 0.2 * moved_t2
satisfaction <- ordinal(rating_base + 0.8 * rnorm(n),
                        c(-1.8, -1.1, -0.3, 0.6), 1L)
usefulness <- ordinal(0.9 * rating_base + 0.45 * (satisfaction - 3) +
                        0.7 * rnorm(n), c(-1.6, -0.9, -0.1, 0.95), 1L)

# Response ------------------------------------------------------------------

wb_t1 <- zscore(wellbeing_level("T1"))
index_t1 <- 0.3 * wb_t1 + 0.012 * (age - 40) + 0.25 * female -
  0.1 * z_months + rlogis(n)
answer_t1 <- select_quota(completed, approach, QUOTA_T1, index_t1, "T1")

change_t2 <- ifelse(moved_t2, "moved",
                    ifelse(t2_status == t1_status, "same", "other"))
index_t2 <- 0.8 * zscore(wb_gain_t2) + 0.15 * wb_t1 + 0.015 * (age - 40) +
  0.2 * female + rlogis(n)
answer_t2 <- logical(n)
for (a in APPROACHES) {
  answer_t2 <- answer_t2 |
    select_quota(answer_t1 & approach == a, change_t2, QUOTA_T2[[a]],
                 index_t2, paste("T2", a))
}

class_t3 <- ifelse(t3_status %in% IN_WORK, t3_status, "other")
wb_gain_t3 <- wellbeing_level("T3") - wellbeing_level("T1")
index_t3 <- 0.8 * zscore(wb_gain_t3) + 0.15 * wb_t1 + 0.015 * (age - 40) +
  rlogis(n)
answer_t3 <- logical(n)
for (a in APPROACHES) {
  answer_t3 <- answer_t3 |
    select_quota(answer_t2 & approach == a, class_t3, QUOTA_T3[[a]],
                 index_t3, paste("T3", a))
}

# Assemble ------------------------------------------------------------------

ids <- sprintf("IVS%05d", seq_len(n))
fct <- function(x, levels) factor(x, levels = levels)

frame <- data.frame(
  id = ids,
  partner = fct(partner, PARTNERS$partner),
  approach = fct(approach, APPROACHES),
  country = fct(country, c("England", "France")),
  gender = fct(ifelse(female, "female", "male"), c("female", "male")),
  age = age,
  prior_status = fct(prior_status, c("unemployed", "inactive", "in_work")),
  months_out_of_work = months,
  completed = completed,
  business_created = business_created,
  job = job,
  further_training = further_training,
  stringsAsFactors = FALSE
)

status_at <- list(T1 = t1_status, T2 = t2_status, T3 = t3_status)
answered <- list(T1 = answer_t1, T2 = answer_t2, T3 = answer_t3)
waves <- lapply(names(answered), function(w) {
  who <- which(answered[[w]])
  rated <- if (w == "T2") who else rep(NA_integer_, length(who))
  cbind(
    frame[who, c("id", "partner", "approach", "country", "gender", "age")],
    wave = w,
    employment = fct(status_at[[w]][who], STATUSES),
    as.data.frame(items[[w]][who, , drop = FALSE]),
    satisfaction = as.integer(satisfaction[rated]),
    usefulness = as.integer(usefulness[rated])
  )
})
increase_vs <- do.call(rbind, waves)
increase_vs$wave <- fct(increase_vs$wave, c("T1", "T2", "T3"))
increase_vs <- increase_vs[order(increase_vs$id, increase_vs$wave), c(
  "id", "wave", "partner", "approach", "country", "gender", "age",
  "employment", paste0("mhc", 1:14), paste0("gse", 1:10), paste0("gre", 1:6),
  "satisfaction", "usefulness"
)]
rownames(increase_vs) <- NULL

increase_vs_frame <- frame
increase_vs_report <- utils::read.csv(file.path(out_raw, "report_figures.csv"),
                                      stringsAsFactors = FALSE)
stopifnot(is.double(increase_vs_report$value))

# Checks --------------------------------------------------------------------

figures_env <- new.env()
sys.source(file.path("R", "data.R"), envir = figures_env)
got <- figures_env$increase_vs_figures(increase_vs, increase_vs_frame)
published <- increase_vs_report[!is.na(increase_vs_report$value), ]
cmp <- merge(published[c("figure", "group", "value")], got, by = "figure",
             suffixes = c("_published", "_synthetic"), sort = FALSE)
cmp$difference <- cmp$value_synthetic - cmp$value_published
cmp$tolerance <- ifelse(cmp$group == "all", 2, 5)
cat("Published figures and their complete-case reproduction",
    "(tolerance 2 points overall, 5 in a group):\n")
shown <- cmp
shown[c("value_synthetic", "difference")] <-
  round(shown[c("value_synthetic", "difference")], 2)
names(shown) <- c("figure", "group", "published", "synthetic", "difference",
                  "tolerance")
print(shown[1:5], row.names = FALSE)
stopifnot(nrow(cmp) == nrow(published),
          all(abs(cmp$difference) <= cmp$tolerance))

cat("\nImplied response rates (%) by approach and cell:\n")
rate <- function(answer, base, cell) {
  round(100 * tapply(answer[base], list(approach[base], cell[base]), mean), 1)
}
cat("T2, among T1 respondents, by change T1 -> T2:\n")
print(rate(answer_t2, answer_t1, change_t2))
cat("T3, among T2 respondents, by status at T3:\n")
print(rate(answer_t3, answer_t2, class_t3))

# What everyone who completed would have answered, against the respondents.
answered_at <- list(T1 = answer_t1, T2 = answer_t2, T3 = answer_t3)
full_vs_cc <- function(value) {
  rbind(
    completers = sapply(names(value), function(w) mean(value[[w]][completed])),
    respondents = sapply(names(value),
                         function(w) mean(value[[w]][answered_at[[w]]]))
  )
}
cat("\nMHC-SF total, mean:\n")
print(round(full_vs_cc(lapply(items, function(x) rowSums(x[, 1:14]))), 2))
cat("In work (employed or self-employed), %:\n")
print(round(100 * full_vs_cc(lapply(status_at, `%in%`, IN_WORK)), 1))

# Data sets -----------------------------------------------------------------

dir.create(out_data, showWarnings = FALSE)
save(increase_vs, file = file.path(out_data, "increase_vs.rda"),
     compress = "xz")
save(increase_vs_frame, file = file.path(out_data, "increase_vs_frame.rda"),
     compress = "xz")
save(increase_vs_report, file = file.path(out_data, "increase_vs_report.rda"),
     compress = "xz")

# Raw exports ---------------------------------------------------------------

# A CSV field: empty for NA, quoted when it holds the delimiter or a quote.
csv_field <- function(x, delim) {
  x <- as.character(x)
  x[is.na(x)] <- ""
  special <- grepl(paste0("[\"\n", delim, "]"), x)
  x[special] <- paste0("\"", gsub("\"", "\"\"", x[special]), "\"")
  x
}
csv_lines <- function(df, delim) {
  fields <- lapply(df, csv_field, delim = delim)
  do.call(paste, c(unname(fields), sep = delim))
}
write_bytes <- function(lines, path, encoding = "UTF-8", bom = FALSE,
                        eol = "\n") {
  text <- paste0(paste(lines, collapse = eol), eol)
  bytes <- if (encoding == "UTF-8") {
    charToRaw(enc2utf8(text))
  } else {
    converted <- iconv(text, "UTF-8", encoding, toRaw = TRUE)[[1L]]
    if (is.null(converted)) stop("cannot encode ", path, " in ", encoding)
    converted
  }
  if (bom) bytes <- c(as.raw(c(0xef, 0xbb, 0xbf)), bytes)
  writeBin(bytes, path)
}

survey_vars <- c("id", "partner", "approach", "country", "gender", "age",
                 "employment", paste0("mhc", 1:14), paste0("gse", 1:10),
                 paste0("gre", 1:6))
rating_vars <- c("satisfaction", "usefulness")

# Reply dates: T1 before training (June 2019 to June 2021), T2 70 to 120
# days later, T3 185 to 360 days after T2, all before the analysis in
# November 2022; replies between 8:00 and 22:00.
day_t1 <- floor(runif(n, 0, 760))
day_t2 <- day_t1 + floor(runif(n, 70, 121))
day_t3 <- day_t2 + floor(runif(n, 185, 361))
reply <- lapply(list(T1 = day_t1, T2 = day_t2, T3 = day_t3), function(day) {
  as.POSIXct("2019-06-01", tz = "UTC") + day * 86400 +
    round(runif(n, 8 * 3600, 22 * 3600))
})
duration <- lapply(reply, function(x) round(rlnorm(n, log(720), 0.45)))

wave_rows <- function(w, which_country) {
  rows <- increase_vs[increase_vs$wave == w &
                        increase_vs$country == which_country, ]
  person <- match(rows$id, ids)
  rows[order(reply[[w]][person]), ]
}

response_id <- function(k) {
  chars <- c(letters, LETTERS, 0:9)
  paste0("R_", vapply(seq_len(k), function(i) {
    paste(sample(chars, 15L, replace = TRUE), collapse = "")
  }, character(1)))
}

write_qualtrics <- function(w) {
  rows <- wave_rows(w, "England")
  person <- match(rows$id, ids)
  vars <- c(survey_vars, if (w == "T2") rating_vars)
  start <- reply[[w]][person]
  end <- start + duration[[w]][person]
  stamp <- function(x) format(x, "%Y-%m-%d %H:%M:%S", tz = "UTC")
  meta <- data.frame(
    StartDate = stamp(start),
    EndDate = stamp(end),
    Status = "IP Address",
    Progress = 100L,
    "Duration (in seconds)" = as.integer(duration[[w]][person]),
    Finished = "True",
    RecordedDate = stamp(end + 1),
    ResponseId = response_id(nrow(rows)),
    DistributionChannel = "email",
    UserLanguage = "EN",
    check.names = FALSE, stringsAsFactors = FALSE
  )
  body <- cbind(meta, rows[vars])
  question <- c(
    "Start Date", "End Date", "Response Type", "Progress",
    "Duration (in seconds)", "Finished", "Recorded Date", "Response ID",
    "Distribution Channel", "User Language",
    "Participant ID", "Partner", "Approach", "Country",
    "What is your gender?", "What is your age?",
    "Which best describes your current situation?",
    paste0("Wellbeing in the past month - Wellbeing item ", 1:14),
    paste0("Confidence - Self-efficacy item ", 1:10),
    paste0("Goals - Goal item ", 1:6),
    if (w == "T2") c("Overall, how satisfied are you with the programme?",
                     "Overall, how useful was the programme for you?")
  )
  import <- c(
    "{\"ImportId\":\"startDate\",\"timeZone\":\"Europe/London\"}",
    "{\"ImportId\":\"endDate\",\"timeZone\":\"Europe/London\"}",
    "{\"ImportId\":\"status\"}", "{\"ImportId\":\"progress\"}",
    "{\"ImportId\":\"duration\"}", "{\"ImportId\":\"finished\"}",
    "{\"ImportId\":\"recordedDate\",\"timeZone\":\"Europe/London\"}",
    "{\"ImportId\":\"_recordId\"}", "{\"ImportId\":\"distributionChannel\"}",
    "{\"ImportId\":\"userLanguage\"}",
    sprintf("{\"ImportId\":\"%s\"}",
            c("id", "partner", "approach", "country")),
    "{\"ImportId\":\"QID1\"}", "{\"ImportId\":\"QID2_TEXT\"}",
    "{\"ImportId\":\"QID3\"}",
    sprintf("{\"ImportId\":\"QID4_%d\"}", 1:14),
    sprintf("{\"ImportId\":\"QID5_%d\"}", 1:10),
    sprintf("{\"ImportId\":\"QID6_%d\"}", 1:6),
    if (w == "T2") c("{\"ImportId\":\"QID7\"}", "{\"ImportId\":\"QID8\"}")
  )
  stopifnot(length(question) == ncol(body), length(import) == ncol(body))
  header <- vapply(list(names(body), question, import), function(h) {
    paste(csv_field(h, ","), collapse = ",")
  }, character(1))
  write_bytes(c(header, csv_lines(body, ",")),
              file.path(out_raw, sprintf("england_%s.csv", w)),
              bom = TRUE, eol = "\r\n")
}

# Written with escapes so that the script reads the same in any locale.
FRENCH_GENDER <- c(female = "F\u00e9minin", male = "Masculin")
FRENCH_EMPLOYMENT <- c(unemployed = "sans emploi", employed = "salari\u00e9",
                       self_employed = "ind\u00e9pendant",
                       training = "en formation", inactive = "inactif")

write_french <- function(w) {
  rows <- wave_rows(w, "France")
  person <- match(rows$id, ids)
  vars <- c(survey_vars, if (w == "T2") rating_vars)
  body <- rows[vars]
  body$gender <- unname(FRENCH_GENDER[as.character(body$gender)])
  body$employment <- unname(FRENCH_EMPLOYMENT[as.character(body$employment)])
  minutes <- duration[[w]][person] / 60
  meta <- data.frame(
    horodatage = format(reply[[w]][person], "%d/%m/%Y %H:%M", tz = "UTC"),
    # one decimal, written with a decimal comma; never a whole number so
    # that the column is a double whatever the reader
    duree_min = sub(".", ",", sprintf("%.1f", floor(minutes) + 0.1 +
                                        0.8 * (minutes %% 1)), fixed = TRUE),
    stringsAsFactors = FALSE
  )
  body <- cbind(body["id"], meta, body[setdiff(vars, "id")])
  write_bytes(c(paste(names(body), collapse = ";"), csv_lines(body, ";")),
              file.path(out_raw, sprintf("france_%s.csv", w)),
              encoding = "latin1")
}

for (w in c("T1", "T2", "T3")) {
  write_qualtrics(w)
  write_french(w)
}
write_bytes(c(paste(names(increase_vs_frame), collapse = ","),
              csv_lines(increase_vs_frame, ",")),
            file.path(out_raw, "frame.csv"))

sizes <- file.size(list.files(out_raw, full.names = TRUE))
cat(sprintf("\nWrote %d files in %s (%.0f kB).\n", length(sizes), out_raw,
            sum(sizes) / 1024))
