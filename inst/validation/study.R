# Validation against known truth: every estimator of panelattrition, under
# every weighting option, under dropout mechanisms whose assumptions are
# known, at two sample sizes.
#
# Run from the package root, with the package installed:
#   Rscript inst/validation/study.R [replications] [cores] [seed] [sizes]
# (defaults 500, 2, 20261201, "1000,3000"). Writes
# inst/validation/results.rds next to this script. Each replication draws
# its own L'Ecuyer-CMRG stream from the seed, so the results do not depend
# on the number of cores.
#
# Sourcing the file into an environment other than the global one
# (sys.source(path, envir = new.env())) only defines the functions, so the
# vignette "Validation against known truth" can show the design and run a
# replication live.
#
# PEOPLE -------------------------------------------------------------------
#
# Everyone who starts has a group g (a, b, c with shares 0.40, 0.35,
# 0.25), a continuous covariate x1 ~ N(0, 1) and a binary x2 ~ B(0.4).
# Outcomes at three waves, before anyone drops out:
#   y1 = 1 + 0.5 x1 + 0.4 x2 + 0.3 [g = b] + N(0, 1)
#   y2 = y1 + 0.3 + 0.3 x1 + 0.2 x1^2 + 0.2 [g = c] + N(0, 0.7^2)
#   y3 = y2 + 0.2 + 0.2 x1 + 0.3 x1^2 - 0.2 x2 + N(0, 0.7^2)
# and an employment status e (0/1): e1 ~ B(plogis(-0.8 + 0.6 x1)); from
# one wave to the next a person out of work moves into work with
# probability plogis(-1.5 + 0.6 x1 + 0.5 [g = c] + 0.4 (y_prev - 1)) and a
# person in work stays with probability 0.9. The outcomes are nonlinear in
# x1, so weights that balance x1 only on average (a misspecified response
# model) leave a bias that the estimates show.
#
# Truths are computed once on a population of 2,000,000 people drawn
# from the same model (their Monte Carlo error is negligible: at most
# 0.001 for a mean).
#
# DROPOUT MECHANISMS ---------------------------------------------------------
#
# Each a logistic model for answering wave t (t = 2, 3) among those still in
# the survey (monotone dropout) unless said otherwise:
# * mar_base: 0.3 + 0.7 x1 - 0.6 x2 + 0.4 [g = c]: MAR on baseline
#   covariates.
# * mar_cells: 0.4 - 0.8 x2 + 0.5 [g = c] - 0.4 x2 [g = b]: MAR on the cells
#   of (x2, g) only, so every calibration function that is saturated in the
#   cells (formula ~ x2 * g) is a correctly specified response model.
# * mar_hist1: 0.3 + 0.5 x1 - 0.4 x2 + 0.4 (y_{t-1} - 1) - 0.5 e_{t-1}:
#   MAR given the previous wave's answers.
# * mar_hist2: mar_hist1 plus 0.4 (y_{t-2} - 1) at T3: MAR given two lags.
# * intermittent: answering T2 and answering T3 independent given the
#   cells of (x2, g), each as in mar_cells, among the baseline sample
#   (people come back after missing T2). The weights of a pair of waves
#   come from a model for answering both, which the saturated formula
#   ~ x2 * g specifies correctly (a product of two logistic
#   probabilities in a continuous covariate is not logistic).
# * frame: only some starters answer T1 (0.5 + 0.5 x1 - 0.4 x2 among
#   everyone who started, who form the frame), then mar_base.
# * mnar: mar_hist1 plus 0.5 (y_t - y_{t-1}): dropout depends on the
#   change the person would have reported. No weighting is valid; the
#   sensitivity analysis is. Written on the level, the index is
#   0.5 y_t + (0.4 - 0.5) y_{t-1} + ...: with y in `history` the term in
#   y_{t-1} is part of each stage's design, so tilt_sensitivity() at
#   alpha = MNAR_ALPHA (a tilt on the level y_t) is the true model.
# * mnar_base: mar_base plus MNAR_ALPHA y_t at each dropout stage: dropout
#   depends on the baseline covariates and the current outcome, not on the
#   past answers, so the weights' formula F_BASE without history, tilted
#   at alpha = MNAR_ALPHA, is the true model (the tilt without history).
#
# WEIGHTING SCHEMES AND ESTIMATES ------------------------------------------
#
# See SCENARIOS below: each names a mechanism, the attrition_weights()
# arguments, the estimators run on the weights, and whether the scheme is
# valid under the mechanism (its help page's assumptions hold), with the
# reason when not. The targets:
# * mean_T3: wave_means(w, "y"), the T3 row;
# * prop_T3: wave_means(w, "emp"), the T3 row (a proportion);
# * aipw_mean_T3: wave_means(w, "y", estimator = "aipw"), the T3 row;
# * change_T1_T3, change_T2_T3: panel_change(w, "y", from, to);
# * trans_T2_T3: transitions(w, "status", from = "T2", to = "T3"),
#   P(employed at T3 | not employed at T2);
# * contrast_T3: compare_groups(wave_means(w, "y", by = "g"), ref = "a"),
#   b - a at T3;
# * group_c_T3: wave_means(w, "y", by = "g"), group c at T3 (the target of
#   a numerator ~ g);
# * gee_ind_T3, gee_exch_T3, gee_ar1_T3: ipw_gee(y ~ wave, w, corstr =),
#   the coefficient of T3 (the T3 - T1 mean difference);
# * tilt_mean_T3, tilt_change_T1_T3: tilt_sensitivity(w, "y", alpha =
#   c(0, MNAR_ALPHA)), the row at MNAR_ALPHA: the T3 mean and the T1 -> T3
#   change (from = "T1") under the true tilt of the mnar mechanism (with
#   history in the weights) and of mnar_base (without), anchored on
#   the input weights (the default). The tilted stages at alpha = 0 are
#   the weights' own stages (maximum likelihood for logit weights, the
#   calibration for kott weights), so anchor = FALSE gives the same curve
#   for these weights (?tilt_sensitivity, Anchoring); the targets
#   tilt_mean_T3_unanchored and tilt_change_T1_T3_unanchored remain for
#   Firth weights, where the two differ.
# * tilt_mean_T3_jackknife, tilt_change_T1_T3_jackknife: the same with
#   se = "jackknife" (delete-a-group jackknife, 50 random groups, t
#   intervals), the small-sample option for long-tailed tilted weights.
#
# SUMMARIES ----------------------------------------------------------------
#
# For each scenario, size and target: truth, replications that gave an
# estimate, failures (with their messages kept in `failures`), mean
# estimate, bias and its Monte Carlo SE, empirical SD, mean SE, coverage of
# the 95% interval and its Monte Carlo SE. Saved in results.rds as a list:
# summary, failures, truth, scenarios, settings (run_study() also returns
# `runs`, the replications, which the cached file leaves out).

# Setting ------------------------------------------------------------------

GROUPS <- c("a", "b", "c")
WAVES <- c("T1", "T2", "T3")

simulate_people <- function(n) {
  g <- factor(sample(GROUPS, n, replace = TRUE, prob = c(0.40, 0.35, 0.25)),
              levels = GROUPS)
  x1 <- stats::rnorm(n)
  x2 <- as.integer(stats::runif(n) < 0.4)
  y1 <- 1 + 0.5 * x1 + 0.4 * x2 + 0.3 * (g == "b") + stats::rnorm(n)
  y2 <- y1 + 0.3 + 0.3 * x1 + 0.2 * x1^2 + 0.2 * (g == "c") +
    stats::rnorm(n, 0, 0.7)
  y3 <- y2 + 0.2 + 0.2 * x1 + 0.3 * x1^2 - 0.2 * x2 + stats::rnorm(n, 0, 0.7)
  e1 <- as.integer(stats::runif(n) < stats::plogis(-0.8 + 0.6 * x1))
  step <- function(e_prev, y_prev) {
    move <- stats::runif(n) < stats::plogis(-1.5 + 0.6 * x1 +
                                              0.5 * (g == "c") +
                                              0.4 * (y_prev - 1))
    stay <- stats::runif(n) < 0.9
    as.integer(ifelse(e_prev == 1L, stay, move))
  }
  e2 <- step(e1, y1)
  e3 <- step(e2, y2)
  data.frame(g, x1, x2, y1, y2, y3, e1, e2, e3)
}

# The log odds ratio of answering per unit of the current outcome under
# the mnar mechanism (the tilt tilt_sensitivity() must be given).
MNAR_ALPHA <- 0.5

# Who answers each wave under a mechanism: a logical matrix people x waves.
respond <- function(p, mechanism) {
  n <- nrow(p)
  draw <- function(eta) stats::runif(n) < stats::plogis(eta)
  base_index <- 0.3 + 0.7 * p$x1 - 0.6 * p$x2 + 0.4 * (p$g == "c")
  hist_index <- function(t) {
    y_prev <- p[[paste0("y", t - 1L)]]
    e_prev <- p[[paste0("e", t - 1L)]]
    0.3 + 0.5 * p$x1 - 0.4 * p$x2 + 0.4 * (y_prev - 1) - 0.5 * e_prev
  }
  cells <- 0.4 - 0.8 * p$x2 + 0.5 * (p$g == "c") - 0.4 * p$x2 * (p$g == "b")
  r1 <- rep(TRUE, n)
  switch(mechanism,
    mar_base = {
      r2 <- draw(base_index)
      r3 <- r2 & draw(base_index)
    },
    mar_cells = {
      r2 <- draw(cells)
      r3 <- r2 & draw(cells)
    },
    mar_hist1 = {
      r2 <- draw(hist_index(2L))
      r3 <- r2 & draw(hist_index(3L))
    },
    mar_hist2 = {
      r2 <- draw(hist_index(2L))
      r3 <- r2 & draw(hist_index(3L) + 0.4 * (p$y1 - 1))
    },
    intermittent = {
      r2 <- draw(cells)
      r3 <- draw(cells)
    },
    frame = {
      r1 <- draw(0.5 + 0.5 * p$x1 - 0.4 * p$x2)
      r2 <- r1 & draw(base_index)
      r3 <- r2 & draw(base_index)
    },
    mnar = {
      r2 <- draw(hist_index(2L) + MNAR_ALPHA * (p$y2 - p$y1))
      r3 <- r2 & draw(hist_index(3L) + MNAR_ALPHA * (p$y3 - p$y2))
    },
    mnar_base = {
      r2 <- draw(base_index + MNAR_ALPHA * p$y2)
      r3 <- r2 & draw(base_index + MNAR_ALPHA * p$y3)
    },
    stop("unknown mechanism ", mechanism)
  )
  cbind(r1, r2, r3)
}

# The panel the analyst sees.
observed_panel <- function(p, r) {
  n <- nrow(p)
  ids <- sprintf("P%06d", seq_len(n))
  status <- function(e) {
    factor(ifelse(e == 1L, "employed", "not employed"),
           levels = c("employed", "not employed"))
  }
  long <- do.call(rbind, lapply(1:3, function(t) {
    e <- p[[paste0("e", t)]]
    data.frame(id = ids, wave = WAVES[t], y = p[[paste0("y", t)]],
               emp = e, status = status(e))[r[, t], ]
  }))
  long$wave <- factor(long$wave, levels = WAVES)
  frame <- data.frame(id = ids, g = p$g, x1 = p$x1, x2 = p$x2)
  long <- cbind(long, frame[match(long$id, frame$id), c("g", "x1", "x2")])
  panelattrition::panel_data(long, id = "id", wave = "wave",
                             baseline = c("g", "x1", "x2"),
                             frame = if (!all(r[, 1])) frame)
}

# Truths -------------------------------------------------------------------

population_truth <- function(n = 2e6) {
  p <- simulate_people(n)
  c(mean_T3 = mean(p$y3), prop_T3 = mean(p$e3),
    aipw_mean_T3 = mean(p$y3),
    change_T1_T3 = mean(p$y3 - p$y1), change_T2_T3 = mean(p$y3 - p$y2),
    trans_T2_T3 = mean(p$e3[p$e2 == 0L]),
    contrast_T3 = mean(p$y3[p$g == "b"]) - mean(p$y3[p$g == "a"]),
    group_c_T3 = mean(p$y3[p$g == "c"]),
    gee_ind_T3 = mean(p$y3) - mean(p$y1),
    gee_exch_T3 = mean(p$y3) - mean(p$y1),
    gee_ar1_T3 = mean(p$y3) - mean(p$y1),
    tilt_mean_T3 = mean(p$y3), tilt_change_T1_T3 = mean(p$y3 - p$y1),
    tilt_mean_T3_unanchored = mean(p$y3),
    tilt_change_T1_T3_unanchored = mean(p$y3 - p$y1),
    tilt_mean_T3_jackknife = mean(p$y3),
    tilt_change_T1_T3_jackknife = mean(p$y3 - p$y1))
}

# Scenarios ----------------------------------------------------------------

MAIN <- c("mean_T3", "prop_T3", "change_T1_T3", "change_T2_T3",
          "trans_T2_T3", "contrast_T3", "gee_ind_T3", "gee_exch_T3",
          "gee_ar1_T3")
F_BASE <- ~ x1 + x2 + g
F_CELLS <- ~ x2 * g

scenario <- function(name, mechanism, args, targets = MAIN, valid = TRUE,
                     why = "") {
  list(name = name, mechanism = mechanism, args = args, targets = targets,
       valid = valid, why = why)
}

SCENARIOS <- list(
  scenario("logit", "mar_base", list(formula = F_BASE),
           c(MAIN, "aipw_mean_T3")),
  scenario("firth", "mar_base", list(formula = F_BASE, method = "firth")),
  scenario("logit_unstabilised", "mar_base",
           list(formula = F_BASE, stabilize = FALSE)),
  scenario("logit_trim99", "mar_base", list(formula = F_BASE, trim = 0.99),
           valid = FALSE,
           why = "trimming trades a bias for a smaller variance"),
  scenario("logit_numerator_g", "mar_base",
           list(formula = F_BASE, numerator = ~ g), "group_c_T3"),
  scenario("raking", "mar_base",
           list(formula = F_BASE, method = "calibrate", calfun = "raking"),
           valid = FALSE,
           why = "raking is a log-linear response model; response is logit-linear"),
  scenario("kott", "mar_base",
           list(formula = F_BASE, method = "calibrate", calfun = "kott")),
  scenario("cells_logit", "mar_cells", list(formula = F_CELLS)),
  scenario("cells_raking", "mar_cells",
           list(formula = F_CELLS, method = "calibrate", calfun = "raking")),
  scenario("cells_linear", "mar_cells",
           list(formula = F_CELLS, method = "calibrate", calfun = "linear")),
  scenario("cells_bounded", "mar_cells",
           list(formula = F_CELLS, method = "calibrate", calfun = "logit",
                bounds = c(0.1, 10))),
  scenario("cells_kott", "mar_cells",
           list(formula = F_CELLS, method = "calibrate", calfun = "kott")),
  scenario("no_history", "mar_hist1", list(formula = F_BASE),
           valid = FALSE, why = "response depends on the previous outcome"),
  scenario("history1", "mar_hist1",
           list(formula = F_BASE, history = c("y", "emp")),
           c(MAIN, "aipw_mean_T3")),
  scenario("history1_firth", "mar_hist1",
           list(formula = F_BASE, history = c("y", "emp"), method = "firth")),
  scenario("history1_kott", "mar_hist1",
           list(formula = F_BASE, history = c("y", "emp"),
                method = "calibrate", calfun = "kott")),
  scenario("history1_lag2_needed", "mar_hist2",
           list(formula = F_BASE, history = c("y", "emp")),
           valid = FALSE, why = "response at T3 depends on the T1 outcome too"),
  scenario("history2", "mar_hist2",
           list(formula = F_BASE, history = c("y", "emp"), history_lags = 2)),
  scenario("intermittent", "intermittent",
           list(formula = F_CELLS, monotone = FALSE),
           setdiff(MAIN, c("gee_exch_T3", "gee_ar1_T3"))),
  scenario("frame_logit", "frame", list(formula = F_BASE)),
  scenario("frame_kott", "frame",
           list(formula = F_BASE, method = "calibrate", calfun = "kott")),
  scenario("mnar_history1", "mnar",
           list(formula = F_BASE, history = c("y", "emp")),
           c("mean_T3", "change_T1_T3"), valid = FALSE,
           why = "dropout depends on the unobserved outcome (MNAR)"),
  scenario("mnar_tilt", "mnar",
           list(formula = F_BASE, history = c("y", "emp")),
           c("tilt_mean_T3", "tilt_change_T1_T3")),
  scenario("mnar_tilt_kott", "mnar",
           list(formula = F_BASE, history = c("y", "emp"),
                method = "calibrate", calfun = "kott"),
           c("tilt_mean_T3", "tilt_change_T1_T3")),
  # (appended last: each scenario draws its response from the
  # replication's stream in turn, so the scenarios above keep their draws
  # and the cached results of their replications stay valid)
  scenario("mnar_tilt_base", "mnar_base", list(formula = F_BASE),
           c("tilt_mean_T3", "tilt_change_T1_T3")),
  scenario("mnar_tilt_base_kott", "mnar_base",
           list(formula = F_BASE, method = "calibrate", calfun = "kott"),
           c("tilt_mean_T3", "tilt_change_T1_T3")),
  # the logistic tilt with history again, with the delete-a-group
  # jackknife's standard errors (se = "jackknife", 50 groups)
  scenario("mnar_tilt_jackknife", "mnar",
           list(formula = F_BASE, history = c("y", "emp")),
           c("tilt_mean_T3_jackknife", "tilt_change_T1_T3_jackknife")),
  # the logistic tilt without history, with the jackknife (run alone
  # with the seed of the mnar_base cells, it draws their data sets)
  scenario("mnar_tilt_base_jackknife", "mnar_base", list(formula = F_BASE),
           c("tilt_mean_T3_jackknife", "tilt_change_T1_T3_jackknife"))
)

# Estimates ----------------------------------------------------------------

# One row per target: estimate, std_error, conf_low, conf_high, error.
estimate_targets <- function(w, targets) {
  pick <- function(tab, keep) {
    tab <- as.data.frame(tab)[keep, , drop = FALSE]
    if (nrow(tab) != 1L) stop("expected one row, got ", nrow(tab))
    c(estimate = tab$estimate, std_error = tab$std_error,
      conf_low = tab$conf_low, conf_high = tab$conf_high)
  }
  # the T3 row (a mean, or the change from `from`) of the tilt at the
  # mnar mechanisms' true alpha; `...`: anchor, se
  tilt_row <- function(from = NULL, ...) {
    tl <- panelattrition::tilt_sensitivity(w, "y", alpha = c(0, MNAR_ALPHA),
                                           from = from, wave = "T3",
                                           tipping = FALSE, ...)
    pick(tl, tl$alpha == MNAR_ALPHA)
  }
  gee_coef <- function(corstr) {
    fit <- panelattrition::ipw_gee(y ~ wave, w, corstr = corstr)
    b <- stats::coef(fit)[["waveT3"]]
    se <- sqrt(stats::vcov(fit)["waveT3", "waveT3"])
    z <- stats::qnorm(0.975)
    c(estimate = b, std_error = se, conf_low = b - z * se,
      conf_high = b + z * se)
  }
  one <- function(target) {
    switch(target,
      mean_T3 = {
        m <- panelattrition::wave_means(w, "y")
        pick(m, m$wave == "T3")
      },
      prop_T3 = {
        m <- panelattrition::wave_means(w, "emp")
        pick(m, m$wave == "T3")
      },
      aipw_mean_T3 = {
        m <- panelattrition::wave_means(w, "y", estimator = "aipw")
        pick(m, m$wave == "T3")
      },
      change_T1_T3 = pick(panelattrition::panel_change(
        w, "y", from = "T1", to = "T3"), 1L),
      change_T2_T3 = pick(panelattrition::panel_change(
        w, "y", from = "T2", to = "T3"), 1L),
      trans_T2_T3 = {
        tr <- panelattrition::transitions(w, "status", from = "T2",
                                          to = "T3")
        pick(tr, tr$from_status == "not employed" &
               tr$to_status == "employed")
      },
      contrast_T3 = {
        m <- panelattrition::wave_means(w, "y", by = "g")
        cg <- as.data.frame(panelattrition::compare_groups(m, ref = "a"))
        keep <- cg$wave == "T3" & grepl("^b", cg$contrast)
        tab <- cg[keep, , drop = FALSE]
        if (nrow(tab) != 1L) stop("no single b - a contrast at T3")
        c(estimate = tab$estimate, std_error = tab$std_error,
          conf_low = tab$conf_low, conf_high = tab$conf_high)
      },
      group_c_T3 = {
        m <- panelattrition::wave_means(w, "y", by = "g")
        pick(m, m$wave == "T3" & m$g == "c")
      },
      gee_ind_T3 = gee_coef("independence"),
      gee_exch_T3 = gee_coef("exchangeable"),
      gee_ar1_T3 = gee_coef("ar1"),
      tilt_mean_T3 = tilt_row(),
      tilt_mean_T3_unanchored = tilt_row(anchor = FALSE),
      tilt_change_T1_T3_unanchored = tilt_row(from = "T1", anchor = FALSE),
      tilt_change_T1_T3 = tilt_row(from = "T1"),
      tilt_mean_T3_jackknife = tilt_row(se = "jackknife"),
      tilt_change_T1_T3_jackknife = tilt_row(from = "T1", se = "jackknife"),
      stop("unknown target ", target)
    )
  }
  rows <- lapply(targets, function(tg) {
    res <- tryCatch(one(tg), error = function(e) conditionMessage(e))
    if (is.character(res)) {
      data.frame(target = tg, estimate = NA_real_, std_error = NA_real_,
                 conf_low = NA_real_, conf_high = NA_real_, error = res)
    } else {
      data.frame(target = tg, t(res), error = NA_character_)
    }
  })
  do.call(rbind, rows)
}

run_scenario <- function(sc, p) {
  r <- respond(p, sc$mechanism)
  panel <- observed_panel(p, r)
  w <- tryCatch(do.call(panelattrition::attrition_weights,
                        c(list(panel = panel), sc$args)),
                error = function(e) conditionMessage(e))
  out <- if (is.character(w)) {
    data.frame(target = sc$targets, estimate = NA_real_,
               std_error = NA_real_, conf_low = NA_real_,
               conf_high = NA_real_, error = paste("weights:", w))
  } else {
    estimate_targets(w, sc$targets)
  }
  out$scenario <- sc$name
  out$n_T3 <- sum(r[, 3])
  out
}

one_replication <- function(rep, n, scenarios = SCENARIOS) {
  p <- simulate_people(n)
  out <- do.call(rbind, lapply(scenarios, run_scenario, p = p))
  out$n <- n
  out$replication <- rep
  out
}

# Summaries ------------------------------------------------------------------

summarise_runs <- function(runs, truth, scenarios = SCENARIOS) {
  keys <- unique(runs[c("scenario", "n", "target")])
  rows <- lapply(seq_len(nrow(keys)), function(k) {
    s <- runs[runs$scenario == keys$scenario[k] & runs$n == keys$n[k] &
                runs$target == keys$target[k], ]
    sc <- scenarios[[match(keys$scenario[k],
                           vapply(scenarios, `[[`, "", "name"))]]
    th <- truth[[keys$target[k]]]
    failed <- sum(!is.na(s$error))
    s <- s[is.na(s$error), ]
    reps <- nrow(s)
    err <- s$estimate - th
    cover <- s$conf_low <= th & th <= s$conf_high
    cov_rate <- if (reps) mean(cover) else NA_real_
    data.frame(
      scenario = keys$scenario[k], mechanism = sc$mechanism,
      n = keys$n[k], target = keys$target[k], valid = sc$valid,
      why = sc$why, truth = th, reps = reps, failed = failed,
      mean_estimate = if (reps) mean(s$estimate) else NA_real_,
      bias = if (reps) mean(err) else NA_real_,
      bias_mcse = if (reps > 1) stats::sd(err) / sqrt(reps) else NA_real_,
      emp_sd = if (reps > 1) stats::sd(s$estimate) else NA_real_,
      mean_se = if (reps) mean(s$std_error) else NA_real_,
      # with heavy-tailed weights a few replications dominate emp_sd; the
      # SD of the standardised errors and a robust SD (IQR / 1.349) next to
      # the median SE say whether the SE is wrong or the tails are heavy
      z_sd = if (reps > 1) stats::sd(err / s$std_error) else NA_real_,
      robust_sd = if (reps > 1) stats::IQR(s$estimate) / 1.349 else NA_real_,
      median_se = if (reps) stats::median(s$std_error) else NA_real_,
      coverage = cov_rate,
      coverage_mcse = if (reps) sqrt(cov_rate * (1 - cov_rate) / reps) else
        NA_real_,
      mean_n_T3 = if (reps) mean(s$n_T3) else NA_real_,
      stringsAsFactors = FALSE
    )
  })
  do.call(rbind, rows)
}

failure_table <- function(runs) {
  f <- runs[!is.na(runs$error), c("scenario", "n", "target", "error")]
  if (!nrow(f)) return(data.frame(scenario = character(), n = numeric(),
                                  target = character(), error = character(),
                                  count = integer()))
  f$error <- substr(f$error, 1, 200)
  agg <- stats::aggregate(list(count = rep(1L, nrow(f))), f, length)
  agg[order(-agg$count), ]
}

# Main -------------------------------------------------------------------------

run_study <- function(replications = 500L, cores = 2L, seed = 20261201L,
                      sizes = c(1000L, 3000L), scenarios = SCENARIOS) {
  RNGkind("L'Ecuyer-CMRG")
  set.seed(seed)
  truth <- population_truth()
  # one stream per replication and size, drawn in a fixed order
  streams <- list()
  s <- .Random.seed
  for (k in seq_len(replications * length(sizes))) {
    s <- parallel::nextRNGStream(s)
    streams[[k]] <- s
  }
  jobs <- expand.grid(rep = seq_len(replications), n = sizes)
  started <- Sys.time()
  run_job <- function(k) {
    assign(".Random.seed", streams[[k]], envir = globalenv())
    one_replication(jobs$rep[k], jobs$n[k], scenarios)
  }
  res <- if (cores > 1L && .Platform$OS.type == "unix") {
    parallel::mclapply(seq_len(nrow(jobs)), run_job, mc.cores = cores,
                       mc.preschedule = FALSE)
  } else {
    lapply(seq_len(nrow(jobs)), run_job)
  }
  bad <- vapply(res, inherits, logical(1), "try-error")
  if (any(bad)) stop("replications failed outside the package: ",
                     paste(unique(unlist(res[bad])), collapse = "; "))
  runs <- do.call(rbind, res)
  list(
    runs = runs[c("scenario", "n", "replication", "target", "estimate",
                  "std_error")],
    summary = summarise_runs(runs, truth, scenarios),
    failures = failure_table(runs),
    truth = truth,
    scenarios = lapply(scenarios, function(sc) {
      sc$args <- vapply(names(sc$args), function(a) {
        paste0(a, " = ", paste(deparse(sc$args[[a]]), collapse = ""))
      }, "")
      sc
    }),
    settings = list(replications = replications, cores = cores,
                    seed = seed, sizes = sizes),
    elapsed_seconds = as.numeric(difftime(Sys.time(), started,
                                          units = "secs")),
    date = format(Sys.Date()),
    package_version = as.character(utils::packageVersion("panelattrition")),
    r_version = R.version.string
  )
}

# A check at a large sample size for chosen scenarios and targets: whether
# a bias seen at n = 3,000 is a small-sample effect (it shrinks) or not.
# The cached results hold one (`large_n`), made with
#   large_n_check(c("kott", "frame_kott"), "mean_T3", 200, 2, 77, 30000)
large_n_check <- function(names, targets, replications, cores, seed, n) {
  sc <- Filter(function(s) s$name %in% names, SCENARIOS)
  sc <- lapply(sc, function(s) {
    s$targets <- intersect(s$targets, targets)
    s
  })
  run_study(replications, cores, seed, n, sc)$summary
}

if (identical(environment(), globalenv()) && !interactive()) {
  args <- commandArgs(trailingOnly = TRUE)
  replications <- if (length(args) >= 1L) as.integer(args[1]) else 500L
  cores <- if (length(args) >= 2L) as.integer(args[2]) else 2L
  seed <- if (length(args) >= 3L) as.integer(args[3]) else 20261201L
  sizes <- if (length(args) >= 4L) {
    as.integer(strsplit(args[4], ",")[[1]])
  } else {
    c(1000L, 3000L)
  }
  here <- "inst/validation"
  res <- run_study(replications, cores, seed, sizes)
  # the replications themselves are not kept in the package (size)
  res$runs <- NULL
  saveRDS(res, file.path(here, "results.rds"), compress = "xz")
  print(res$summary[c("scenario", "n", "target", "valid", "reps", "failed",
                      "bias", "bias_mcse", "emp_sd", "mean_se",
                      "coverage")], digits = 3)
  cat(sprintf("%.0f seconds\n", res$elapsed_seconds))
}
