# Attrition weights: from a panel of who answered when to one weight per
# person and wave answered.
#
# The weights are built stage by stage. Stage 0 (only when the panel has a
# frame of everyone who started) takes the frame to the first wave's
# respondents; stage t takes the respondents of the previous wave (monotone
# dropout) or the baseline sample (intermittent response) to the
# respondents of wave t. Each stage is a response model (logistic or Firth)
# or a calibration, and every stage's design, fit and scores are kept so
# that the variance estimators can stack them with the estimating equations
# of the estimates.

#' Attrition weights for a longitudinal survey
#'
#' Builds inverse-probability (or calibration) weights so that the people
#' who still answer at each wave stand for everyone in the baseline sample
#' (the first wave's respondents) or, when [panel_data()] was given a
#' `frame`, for everyone who started.
#'
#' @section Stages:
#' * **Stage 0** (only with a frame): response at the first wave is
#'   modelled on the frame covariates among everyone who started, or, when
#'   `margins` are given, the first wave's respondents are calibrated to
#'   those population totals.
#' * **Monotone dropout** (`monotone = TRUE`): at each later wave t, the
#'   probability of answering among those who answered at t - 1 is modelled
#'   on the baseline covariates and, if `history` names them, on outcomes
#'   observed at t - 1 (and, with `history_lags`, at earlier waves). The
#'   weight at t is the weight at t - 1 divided by
#'   the fitted probability, so it is the inverse of the cumulative
#'   probability of staying in the survey (Robins, Rotnitzky and Zhao,
#'   1995). A person who answers a wave after missing the one before breaks
#'   this and is an error (see `monotone = FALSE`).
#' * **Intermittent response** (`monotone = FALSE`): one model per wave for
#'   the probability of answering, among the whole baseline sample, on the
#'   baseline covariates only. Estimates that use two waves at once
#'   ([panel_change()], [transitions()]) take the people who answered both
#'   waves s and t, who were selected on answering both: they are weighted
#'   by the inverse of a further model, for the probability of answering at
#'   both s and t, fitted in the same way (same method, covariates, base
#'   weights, baseline sample, stabilising and trimming) and counted in
#'   every variance. Without a frame and with s the first wave, answering
#'   both is answering at t, and that weight is wave t's. This scheme
#'   assumes that response at each wave, and at each pair of waves, depends
#'   on the baseline covariates only (missing at random given them); when it
#'   also depends on earlier answers, use monotone dropout with `history`.
#'   The pair's model is a model on `formula` like the waves': if answering
#'   each wave is logit-linear in a continuous covariate, answering both is
#'   not, so give such covariates a flexible form (`poly()`, splines).
#' * **Calibration** (`method = "calibrate"`): instead of a model, the
#'   respondents' weights at each wave are calibrated (Deville and Särndal,
#'   1992) so that their weighted totals of the columns of
#'   `model.matrix(formula)` equal those of the baseline sample (or of the
#'   frame, or the `margins`) exactly. Under monotone dropout the
#'   calibration is sequential: wave t's respondents, starting from their
#'   weights at t - 1, reproduce the weighted totals (history included) of
#'   wave t - 1's respondents. With `calfun = "raking"` and equal base
#'   weights this is entropy balancing (Hainmueller, 2012).
#' * **Calibration as a response model** (`calfun = "kott"`): the
#'   calibration function \eqn{F(u) = 1 + \exp(u)}{F(u) = 1 + exp(u)} (Kott, 2006) makes each
#'   respondent's weight its starting weight times \eqn{1 + \exp(x'\lambda)}{1 + exp(x'lambda)},
#'   the inverse of the logistic response probability
#'   \eqn{1 / (1 + \exp(x'\lambda))}{1 / (1 + exp(x'lambda))} (coefficients
#'   \eqn{-\lambda}{-lambda}). The
#'   calibration equations are then unbiased estimating equations of that
#'   response model, so the weights are consistent whenever response is
#'   logit-linear in the calibration variables (history included), like
#'   `method = "logit"`, while reproducing the totals exactly as a
#'   calibration does. The other calibration functions are consistent only
#'   when response follows their own F (raking: log-linear) or the outcome
#'   is linear in the calibration variables. Every respondent's weight is
#'   above its starting weight, so a category in which everyone at risk
#'   answered cannot be calibrated (an error names it); `bounds` are not
#'   allowed.
#' * **Everyone answered**: a logit or Firth stage at which everyone at
#'   risk answered (or a frame whose members all answered the first wave)
#'   fits no model: the response probability is 1, the weights carry over
#'   unchanged, and the stage adds nothing to standard errors or bootstrap
#'   replicates. [response_models()], `print()` and `summary()` list it
#'   with a note. A calibration stage at which everyone answered has
#'   `g = 1` exactly (with `calfun = "kott"` too: the stage is then
#'   left out like a response model's).
#'
#' Firth fits stay finite and converge under complete or quasi-complete
#' separation: when modified scoring slows down, the fit continues with
#' Newton steps on the penalised log-likelihood, to the maximum that
#' `brglm2::brglmFit(type = "MPL_Jeffreys")` approaches.
#'
#' @section Stabilising and trimming:
#' With `stabilize = FALSE` and no trimming, the weights are exactly the
#' base weight divided by the cumulative response probability, and each
#' wave's weights add up to about the size of the baseline sample. With
#' `stabilize = TRUE`, each wave's weights are multiplied by the cumulative
#' (base-weighted) response rate, or, with a `numerator` formula, by the
#' cumulative probability predicted by the same sequence of models on the
#' `numerator` covariates only; the weights then add up to about the number
#' of respondents. `trim` (a quantile such as 0.99 of the wave's
#' respondents' weights, unweighted, as `quantile(type = 7)` computes it)
#' or `cap` (a maximum
#' ratio to the wave's mean weight) limits large weights; the mass taken
#' off is spread over the other respondents of the wave in proportion to
#' their weights, repeatedly until no weight exceeds the limit, so each
#' wave's total is unchanged. The share of respondents and of weight
#' trimmed is reported by [summary.pa_weights()].
#'
#' @param panel A `pa_panel` from [panel_data()].
#' @param formula A one-sided formula of baseline covariates (columns of
#'   `panel$baseline`, collected with `panel_data(baseline = )`), such as
#'   `~ group + gender + poly(age, 2)`. Factors, interactions and functions
#'   of covariates work as in [stats::model.matrix()]. A factor (or
#'   character) covariate may have at most half as many levels as the
#'   people at risk at the first stage, and the design matrix must fit in
#'   the option `panelattrition.max_bytes`; both are checked before it is
#'   built (see [panelattrition-package]).
#' @param method `"logit"` (logistic response models), `"firth"`
#'   (Firth-penalised logistic models, finite even under separation) or
#'   `"calibrate"`.
#' @param monotone `TRUE` for sequential models of dropout, `FALSE` for
#'   one model per wave among the baseline sample (and one per pair of
#'   waves for changes and transitions; see Stages).
#' @param history Names of time-varying variables in `panel$data` whose
#'   values at wave t - 1 enter the model for answering at t (monotone
#'   dropout only), as columns named `<variable>_prev`.
#' @param history_lags How many earlier waves of the `history` variables
#'   enter the model for answering at wave t: a positive whole number k for
#'   waves t - 1, ..., t - k (as many as exist: the model for the second
#'   wave has only t - 1), or `Inf` for every earlier wave, so that
#'   response may depend on the whole observed past (missing at random
#'   given it). Lag 1 is named `<variable>_prev`, lag j `<variable>_lagj`
#'   (`y_lag2`, `y_lag3`, ...). Under monotone dropout everyone at risk at
#'   t answered all earlier waves, so their history is observed; a value
#'   missing for some of them is handled by `na_action`. With a frame, the
#'   model for the first wave (among everyone who started) has no history.
#' @param base Name of a column of `panel$baseline` (or of the frame)
#'   holding base (design) weights; `NULL` for equal base weights, or for
#'   the sampling weights of a panel built with `panel_data(design = )`.
#'   Base weights alone do not make a variance design-based: without a
#'   sampling design in the panel, every variance treats the people of the
#'   baseline sample as independent draws (one person, one PSU, one
#'   stratum, no finite population correction), which understates it for
#'   a clustered sample. Give the design's strata, PSUs and fpc to
#'   [panel_data()] (`strata`, `cluster`, `fpc`, or `design`) and every
#'   variance uses them; bootstrap replicates ([replicate_weights()],
#'   `se = "bootstrap"`) then resample PSUs within strata and re-fit every
#'   stage (the Rao-Wu bootstrap, section Designs of [boot_control()]).
#' @param margins Named numeric vector of population totals for the
#'   columns of `model.matrix(formula, frame)`, as
#'   `survey::calibrate(population = )` takes them: stage 0 then calibrates
#'   the first wave's respondents to these totals. Needs a frame.
#' @param calfun Calibration function: `"raking"` (exponential),
#'   `"linear"`, `"logit"` (bounded, needs `bounds`) or `"kott"`
#'   (\eqn{F(u) = 1 + \exp(u)}{F(u) = 1 + exp(u)}, a logistic response model; see
#'   Calibration as a response model). Linear calibration can give
#'   negative weights; under monotone dropout the next wave's calibration
#'   cannot start from them, which is an error of class
#'   `panelattrition_negative_weights_error` naming the waves (use
#'   `"logit"` with `bounds`, `"kott"` or `"raking"`).
#' @param bounds For calibration, `c(L, U)`: the range of the ratio of the
#'   calibrated weight to the starting weight. Needed by `calfun = "logit"`,
#'   not allowed with `calfun = "kott"`.
#' @param stabilize Multiply by the cumulative response rate (or the
#'   `numerator` model's probability); see Stabilising and trimming.
#' @param numerator Optional one-sided formula for the numerator of
#'   stabilised weights (logit and Firth methods). Its covariates make
#'   each weight a function of them times the inverse probability, which
#'   re-weights their groups: such weights are valid only for estimates
#'   within levels of those covariates. [wave_means()] (inverse-probability
#'   estimator), [panel_change()] and [transitions()] then need `by` to be
#'   exactly the numerator's covariate, and [ipw_gee()] needs the
#'   covariates in its formula; otherwise they stop with an error of class
#'   `panelattrition_numerator_error`.
#' @param trim A quantile in (0.5, 1): weights above it are trimmed to it.
#' @param cap A number > 1: weights above `cap` times the wave's mean
#'   weight are trimmed to it.
#' @param na_action `"fail"` (default): missing covariate values are an
#'   error that lists the variables and counts. `"indicator"`: a missing
#'   numeric value is replaced by the mean of the observed ones and an
#'   indicator column `<variable>_missing` is added; a missing factor value
#'   becomes the level `"(missing)"`.
#' @param control `list(maxit, epsilon)` for the model fits and
#'   calibrations.
#'
#' @return An object of class `pa_weights`, a list with `weights` (a
#'   persons by waves matrix, `NA` where the person did not answer),
#'   `stages` (one entry per stage with its design matrix `x`, the people
#'   at risk, who answered, and the fit or calibration: for a response
#'   model the fitted probabilities, the information matrix and its
#'   inverse, and `residuals`, the factors r_i whose products with the
#'   rows of `x` are the score contributions; for a calibration its g
#'   weights and Jacobian), `trimming` (per wave), the `panel` and the
#'   settings. Use [weights.pa_weights()], [response_models()], [ess()],
#'   [balance()], `summary()` and `plot()` on it.
#'
#' @references
#' Robins, J. M., Rotnitzky, A. and Zhao, L. P. (1995). Analysis of
#' semiparametric regression models for repeated outcomes in the presence
#' of missing data. *Journal of the American Statistical Association*,
#' 90, 106-121.
#'
#' Seaman, S. R. and White, I. R. (2013). Review of inverse probability
#' weighting for dealing with missing data. *Statistical Methods in Medical
#' Research*, 22, 278-295.
#'
#' Deville, J.-C. and Särndal, C.-E. (1992). Calibration estimators in
#' survey sampling. *Journal of the American Statistical Association*, 87,
#' 376-382.
#'
#' Hainmueller, J. (2012). Entropy balancing for causal effects.
#' *Political Analysis*, 20, 25-46.
#'
#' Firth, D. (1993). Bias reduction of maximum likelihood estimates.
#' *Biometrika*, 80, 27-38.
#'
#' Kott, P. S. (2006). Using calibration weighting to adjust for
#' nonresponse and coverage errors. *Survey Methodology*, 32, 133-142.
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' answers <- read_waves(files, id = "id")
#' panel <- panel_data(answers, id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' # five people come back after missing T2: model each wave separately
#' w <- attrition_weights(panel, ~ group + gender + age, monotone = FALSE)
#' w
#' summary(w)
#' response_models(w)
#' balance(w)
#' # calibration that is a logistic response model (Kott, 2006): the
#' # multipliers are minus the response model's coefficients
#' wk <- attrition_weights(panel, ~ group + gender + age,
#'                         method = "calibrate", calfun = "kott",
#'                         monotone = FALSE)
#' response_models(wk)
attrition_weights <- function(panel, formula,
                              method = c("logit", "firth", "calibrate"),
                              monotone = TRUE, history = NULL,
                              history_lags = 1, base = NULL,
                              margins = NULL,
                              calfun = "raking",
                              bounds = NULL, stabilize = TRUE,
                              numerator = NULL, trim = NULL, cap = NULL,
                              na_action = c("fail", "indicator"),
                              control = list(maxit = 100, epsilon = 1e-10)) {
  check_required("panel", "formula")
  if (!inherits(panel, "pa_panel")) {
    arg_error("panel", "a pa_panel from panel_data()", panel)
  }
  method <- match_choice(method, c("logit", "firth", "calibrate"), "method")
  calfun <- match_choice(calfun, names(calibration_functions), "calfun")
  na_action <- match_choice(na_action, c("fail", "indicator"), "na_action")
  check_flag(monotone, "monotone")
  check_flag(stabilize, "stabilize")
  formula <- check_rhs_formula(formula, "formula")
  numerator_vars <- character()
  if (!is.null(numerator)) {
    numerator <- check_rhs_formula(numerator, "numerator")
    numerator_vars <- all.vars(numerator)
    if (method == "calibrate") {
      pa_abort("`numerator` applies to the logit and firth methods, not to calibration.",
               class = "panelattrition_arg_error", argument = "numerator")
    }
  }
  check_trim(trim, cap)
  bounds <- check_bounds(bounds, calfun, method, margins)
  control <- check_control(control)
  if (!is.null(history)) {
    if (!is.character(history) || anyNA(history) || length(history) == 0L) {
      arg_error("history", "a character vector of column names", history)
    }
    if (!monotone) {
      pa_abort(
        paste("`history` needs `monotone = TRUE`: with intermittent response",
              "the previous wave's answers are missing for some people at risk."),
        class = "panelattrition_arg_error", argument = "history"
      )
    }
    missing_cols <- setdiff(history, names(panel$data))
    if (length(missing_cols)) {
      pa_abort(sprintf("`history` names %s not in the panel's data.",
                       format_names(missing_cols)),
               class = "panelattrition_arg_error", argument = "history")
    }
    for (h in history) check_plain_column(panel$data[[h]], h, "history")
  }
  history_lags <- check_history_lags(history_lags, history)
  if (!is.null(margins) && !isTRUE(panel$frame_given)) {
    pa_abort(
      paste("`margins` calibrate the first wave to population totals, which",
            "needs a panel built with a `frame` of everyone who started."),
      class = "panelattrition_arg_error", argument = "margins"
    )
  }

  covars <- prepare_covariates(panel, formula, numerator, base, na_action)
  check_covariate_size(covars$data, list(formula, numerator),
                       nrow(covars$data))
  formula <- with_indicators(formula, covars$indicators)
  if (!is.null(numerator)) {
    numerator <- with_indicators(numerator, covars$indicators)
  }
  # who answered at each wave, one logical vector per wave, read by the
  # checks and the weighting alike
  answered <- response_columns(panel$response)
  check_response_patterns(panel$response, panel$waves, monotone,
                          isTRUE(panel$frame_given), answered)
  w <- fit_weights(weighting_context(
    panel, covars$data, covars$base, formula, numerator, method, monotone,
    history, history_lags, base, margins, calfun, bounds, stabilize, trim,
    cap, na_action, control, call = match.call(), answered = answered
  ))
  # the user's numerator variables, before any missing-value indicators
  w$numerator_vars <- numerator_vars
  w
}

# The weighting itself, on a context record (weighting_context(), in
# stages.R) of checked arguments, prepared covariates (with any
# missing-value indicators) and base weights. Split from
# attrition_weights() so that a pair of waves can be weighted by the same
# method on a panel whose later wave's response is replaced by response at
# both (pair_weights()). The stages come from a schedule (stage_step()),
# and each is fitted and turned into weights by its entry in the registry
# of stage kinds.
fit_weights <- function(ctx) {
  panel <- ctx$panel
  waves <- panel$waves
  labels <- ctx$labels
  resp <- panel$response
  n_people <- nrow(resp)
  answered <- ctx$answered
  d <- ctx$d
  numerator <- ctx$numerator

  weights <- matrix(NA_real_, n_people, length(waves),
                    dimnames = dimnames(resp))
  num_prob <- if (!is.null(numerator)) {
    matrix(NA_real_, n_people, length(waves))
  }
  stages <- list()
  num_stages <- list()
  # stages at which everyone at risk answered: p = 1, no model, nothing
  # estimated (kept apart so that the variance estimators and the
  # bootstrap, which walk `stages`, never see them)
  complete <- list()

  if (!any(answered[[1]])) {
    pa_abort(sprintf("Nobody answered at the first wave (%s).", waves[1]),
             class = "panelattrition_weights_error", wave = waves[1])
  }
  # who is in the baseline sample: everyone who started (frame) or the
  # first wave's respondents
  baseline_rows <- if (ctx$with_frame) {
    seq_len(n_people)
  } else {
    which_rows(answered[[1]], ctx$ids)
  }

  for (t in seq_along(waves)) {
    if (t == 1L && !ctx$with_frame) {
      weights[baseline_rows, 1] <- d[baseline_rows]
      if (!is.null(numerator)) num_prob[, 1] <- 1
      next
    }
    if (!any(answered[[t]])) {
      pa_abort(
        sprintf(paste("Nobody answered at wave %s, so no weights can be",
                      "built for it. Drop the wave with panel_data(waves = ).",
                      collapse = ""), labels[t]),
        class = "panelattrition_weights_error", wave = labels[t]
      )
    }
    step <- stage_step(ctx, t, baseline_rows)
    kind <- stage_kinds[[step$kind]]
    source <- if (step$source == "previous") weights[, t - 1] else d
    st <- kind$fit(ctx, step, source)
    if (isTRUE(st$complete)) {
      complete[[length(complete) + 1L]] <- st
    } else {
      stages[[length(stages) + 1L]] <- st
    }
    weights[st$respondents, t] <- kind$weights(st, source)
    if (!is.null(numerator)) {
      ns <- numerator_stage(ctx, step$risk, t)
      if (!isTRUE(ns$complete)) num_stages[[length(num_stages) + 1L]] <- ns
      num_prob[, t] <- if (ctx$monotone && t > 1L) {
        num_prob[, t - 1] * ns$prob_all
      } else {
        ns$prob_all
      }
    }
  }

  # stabilising: the cumulative response rate, or the numerator model
  stabilizer <- rep(1, length(waves))
  # the factor each weight was multiplied by, so that the inverse
  # probabilities can be recovered (the doubly robust estimators need them)
  stabilizing <- matrix(1, n_people, length(waves), dimnames = dimnames(resp))
  if (ctx$stabilize) {
    for (t in seq_along(waves)) {
      r <- answered[[t]]
      if (is.null(numerator)) {
        stabilizer[t] <- sum(d[r]) / sum(d[baseline_rows])
        stabilizing[r, t] <- stabilizer[t]
      } else {
        stabilizing[r, t] <- num_prob[r, t]
      }
      weights[r, t] <- weights[r, t] * stabilizing[r, t]
    }
  }

  trimming <- trim_weights(weights, resp, ctx$trim, ctx$cap, labels)
  weights <- trimming$weights

  structure(
    list(
      weights = weights, stages = stages, numerator_stages = num_stages,
      complete_stages = complete,
      trimming = trimming$report, stabilizer = stabilizer,
      stabilizing = stabilizing,
      panel = panel, formula = ctx$formula, numerator = numerator,
      method = ctx$method, monotone = ctx$monotone, history = ctx$history,
      history_lags = ctx$history_lags, stabilize = ctx$stabilize,
      base = ctx$base, margins = ctx$margins,
      calfun = if (ctx$method == "calibrate" || !is.null(ctx$margins)) {
        ctx$calfun
      },
      bounds = ctx$bounds, trim = ctx$trim, cap = ctx$cap,
      na_action = ctx$na_action, base_weights = d,
      baseline_rows = baseline_rows, control = ctx$control,
      covariates = ctx$data, call = ctx$call
    ),
    class = "pa_weights"
  )
}

# The weights of the people seen at both waves s < t. Under intermittent
# response (monotone = FALSE) wave t's weight stands for answering at t
# only, while a person enters a change or a transition between s and t for
# answering at both: the pair needs the inverse of a model for R_s R_t.
# That model is fitted as wave t's was (same method, baseline sample,
# covariates, base weights, stage 0, stabilising and trimming) by re-running
# the weighting on the panel with wave t's response replaced by response at
# both; the result is an ordinary pa_weights whose wave-t stage is the pair
# model, so the sandwich, naive and bootstrap variances count it as they
# count any stage. Under monotone dropout, or when everyone seen at t was
# seen at s (always so for s = the first wave without a frame), the pair's
# weights are wave t's own and `w` is returned unchanged.
pair_weights <- function(w, s, t) {
  resp <- w$panel$response
  if (isTRUE(w$monotone) || !any(resp[, t] & !resp[, s])) return(w)
  waves <- w$panel$waves
  both <- resp[, s] & resp[, t]
  if (!any(both)) {
    pa_abort(sprintf("Nobody answered both %s and %s, so there is no pair to weight.",
                     waves[s], waves[t]),
             class = "panelattrition_weights_error", wave = waves[t])
  }
  panel <- w$panel
  panel$response[, t] <- both
  labels <- waves
  labels[t] <- sprintf("%s and %s (answered both)", waves[s], waves[t])
  fit_weights(weighting_context(
    panel, w$covariates, w$base_weights, w$formula, w$numerator, w$method,
    w$monotone, w$history, w$history_lags %||% 1, w$base, w$margins,
    w$calfun %||% "raking", w$bounds, w$stabilize, w$trim, w$cap,
    w$na_action, w$control, call = w$call, labels = labels
  ))
}

# Trimming -------------------------------------------------------------------

# Cap each wave's weights and spread the excess over the untrimmed weights
# in proportion to their size, until none is above the cap: the wave total
# is kept.
trim_weights <- function(weights, resp, trim, cap,
                         labels = colnames(weights)) {
  waves <- colnames(weights)
  report <- data.frame(wave = waves, threshold = NA_real_, n_trimmed = 0L,
                       share_trimmed = 0, mass_trimmed = 0)
  if (is.null(trim) && is.null(cap)) {
    return(list(weights = weights, report = report))
  }
  for (t in seq_along(waves)) {
    r <- which_rows(resp[, t])
    w <- weights[r, t]
    total <- sum(w)
    limit <- if (!is.null(trim)) {
      unname(stats::quantile(w, trim, type = 7))
    } else {
      cap * mean(w)
    }
    trimmed <- rep(FALSE, length(w))
    excess_total <- 0
    repeat {
      over <- !trimmed & w > limit * (1 + 1e-12)
      if (!any(over)) break
      excess_total <- excess_total + sum(w[over] - limit)
      trimmed <- trimmed | over
      w[trimmed] <- limit
      free <- !trimmed
      if (!any(free)) {
        pa_abort(
          sprintf(paste("Trimming at wave %s would cap every weight, so the",
                        "wave total cannot be kept. Use a higher `trim` or",
                        "`cap`."), labels[t]),
          class = "panelattrition_weights_error", wave = labels[t]
        )
      }
      w[free] <- w[free] * (total - limit * sum(trimmed)) / sum(w[free])
    }
    weights[r, t] <- w
    report$threshold[t] <- limit
    report$n_trimmed[t] <- sum(trimmed)
    report$share_trimmed[t] <- mean(trimmed)
    report$mass_trimmed[t] <- excess_total / total
  }
  list(weights = weights, report = report)
}

# Accessors and diagnostics -------------------------------------------------

#' Weights, response models and diagnostics of attrition weights
#'
#' `weights()` gives one row per person and wave answered with the weight;
#' `response_models()` the coefficients of every stage's response model
#' (or the Lagrange multipliers of a calibration); `ess()` Kish's effective
#' sample size per wave; `balance()` standardised mean differences between
#' each wave's respondents and the baseline sample, before and after
#' weighting.
#'
#' The standardised mean difference of a covariate column is the difference
#' between the respondents' mean (unweighted, or weighted) and the baseline
#' sample's (base-weighted) mean, divided by the baseline sample's
#' base-weighted standard deviation, whose denominator is the sum of the
#' base weights (no \eqn{n - 1} correction). Kish's effective sample size
#' is \eqn{(\sum w)^2 / \sum w^2}.
#'
#' @param object,w A `pa_weights` object from [attrition_weights()].
#' @param threshold Absolute standardised difference above which a
#'   covariate is flagged as imbalanced.
#' @param ... Unused.
#' @return Data frames: `weights()`: `id`, `wave`, `weight`;
#'   `response_models()`: `stage`, `wave`, `term`, `estimate`,
#'   `std_error`, `converged`, `note`; a stage at which everyone at risk
#'   answered has no model (its response probability is 1 and the weights
#'   carry over unchanged): it is one row with `term`, `estimate`,
#'   `std_error` and `converged` `NA` and a `note` saying so; `ess()`: `wave`, `n`, `sum_weights`, `ess`;
#'   `balance()`: `wave`, `variable`, `mean_baseline`, `mean_unweighted`,
#'   `mean_weighted`, `smd_unweighted`, `smd_weighted`, `threshold`
#'   (`TRUE` where the weighted |SMD| exceeds the threshold).
#' @references Kish, L. (1965). *Survey Sampling*. Wiley.
#' @name weight_diagnostics
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' panel <- panel_data(read_waves(files, id = "id"), id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' w <- attrition_weights(panel, ~ group + age, monotone = FALSE)
#' head(weights(w))
#' response_models(w)
#' ess(w)
#' balance(w)
NULL

#' @rdname weight_diagnostics
#' @importFrom stats weights
#' @export
weights.pa_weights <- function(object, ...) {
  resp <- object$panel$response
  idx <- which(resp, arr.ind = TRUE)
  idx <- idx[order(idx[, 1], idx[, 2]), , drop = FALSE]
  data.frame(
    id = object$panel$ids[idx[, 1]],
    wave = factor(object$panel$waves[idx[, 2]], levels = object$panel$waves),
    weight = object$weights[idx],
    stringsAsFactors = FALSE
  )
}

#' @rdname weight_diagnostics
#' @export
response_models <- function(w) {
  check_required("w")
  check_weights_object(w)
  stages <- c(w$stages, w$complete_stages)
  rows <- lapply(stages, function(st) stage_kind(st)$coefficients(st))
  # stages in the order they were solved
  rows <- rows[order(vapply(stages, `[[`, integer(1), "stage"))]
  out <- do.call(rbind, rows)
  rownames(out) <- NULL
  out
}

#' @rdname weight_diagnostics
#' @export
ess <- function(w) {
  check_required("w")
  check_weights_object(w)
  wt <- w$weights
  data.frame(
    wave = colnames(wt),
    n = as.integer(colSums(!is.na(wt))),
    sum_weights = colSums(wt, na.rm = TRUE),
    ess = colSums(wt, na.rm = TRUE)^2 / colSums(wt^2, na.rm = TRUE),
    row.names = NULL
  )
}

#' @rdname weight_diagnostics
#' @export
balance <- function(w, threshold = 0.1) {
  check_required("w")
  check_weights_object(w)
  if (!is.numeric(threshold) || length(threshold) != 1L || is.na(threshold) ||
      threshold <= 0) {
    arg_error("threshold", "a positive number", threshold)
  }
  base_rows <- w$baseline_rows
  x <- stage_matrix(w$covariates, w$formula, base_rows, "the balance table")
  keep <- colnames(x) != "(Intercept)"
  x <- x[, keep, drop = FALSE]
  d <- w$base_weights[base_rows]
  wmean <- function(m, wt) colSums(m * wt) / sum(wt)
  mu0 <- wmean(x, d)
  sd0 <- sqrt(colSums(d * sweep(x, 2, mu0)^2) / sum(d))
  out <- list()
  for (t in seq_along(w$panel$waves)) {
    r <- w$panel$response[base_rows, t]
    if (!any(r)) next
    xr <- x[r, , drop = FALSE]
    mu_u <- colMeans(xr)
    mu_w <- wmean(xr, w$weights[base_rows[r], t])
    smd_u <- ifelse(sd0 > 0, (mu_u - mu0) / sd0, NA_real_)
    smd_w <- ifelse(sd0 > 0, (mu_w - mu0) / sd0, NA_real_)
    out[[t]] <- data.frame(
      wave = w$panel$waves[t], variable = colnames(x),
      mean_baseline = unname(mu0), mean_unweighted = unname(mu_u),
      mean_weighted = unname(mu_w), smd_unweighted = unname(smd_u),
      smd_weighted = unname(smd_w),
      threshold = !is.na(smd_w) & abs(smd_w) > threshold
    )
  }
  out <- do.call(rbind, out)
  rownames(out) <- NULL
  out
}

check_weights_object <- function(w) {
  if (!inherits(w, "pa_weights")) {
    arg_error("w", "a pa_weights object from attrition_weights()", w)
  }
  # an object edited by hand: its weights must still be a people x waves
  # matrix of the panel's people and waves (the kernels index it by both)
  wt <- w$weights
  resp <- w$panel$response
  if (!inherits(w$panel, "pa_panel") || !is.matrix(wt) || !is.numeric(wt) ||
      !is.matrix(resp) || !identical(dim(wt), dim(resp))) {
    pa_abort(
      paste("`w` has been altered: its weights are no longer a matrix of",
            "its panel's people by waves. Make it again with",
            "attrition_weights()."),
      class = "panelattrition_arg_error", argument = "w"
    )
  }
  invisible(w)
}

#' Summarise attrition weights
#'
#' @param object,x A `pa_weights` object, or its summary.
#' @param ... Unused.
#' @return `summary()` returns a `summary.pa_weights` object: a data frame
#'   with one row per wave (`wave`, `n`, `sum`, `min`, `q1`, `median`, `q3`,
#'   `max`, `cv` (coefficient of variation), `ess`, `share_trimmed`) with
#'   the settings as attributes. `print()` methods return their argument
#'   invisibly.
#' @export
summary.pa_weights <- function(object, ...) {
  wt <- object$weights
  rows <- lapply(seq_len(ncol(wt)), function(t) {
    v <- wt[!is.na(wt[, t]), t]
    q <- stats::quantile(v, c(0, 0.25, 0.5, 0.75, 1), names = FALSE)
    data.frame(
      wave = colnames(wt)[t], n = length(v), sum = sum(v), min = q[1],
      q1 = q[2], median = q[3], q3 = q[4], max = q[5],
      cv = if (length(v) > 1L) stats::sd(v) / mean(v) else NA_real_,
      ess = sum(v)^2 / sum(v^2),
      share_trimmed = object$trimming$share_trimmed[t]
    )
  })
  out <- do.call(rbind, rows)
  structure(out, class = c("summary.pa_weights", "data.frame"),
            method = object$method, monotone = object$monotone,
            stabilize = object$stabilize, trim = object$trim,
            cap = object$cap, formula = object$formula,
            complete_stages = object$complete_stages)
}

# One line per stage at which everyone at risk answered.
print_complete_stages <- function(stages) {
  for (st in stages) {
    cat(sprintf("  %s: everyone at risk answered (%d); no model, weights carried over\n",
                st$label, length(st$risk)))
  }
  invisible()
}

#' @rdname summary.pa_weights
#' @export
print.summary.pa_weights <- function(x, ...) {
  cat(weights_header(attr(x, "method"), attr(x, "monotone"),
                     attr(x, "stabilize"), attr(x, "formula")), "\n", sep = "")
  df <- as.data.frame(unclass(x))
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) signif(v, 4))
  print(df, row.names = FALSE)
  print_complete_stages(attr(x, "complete_stages"))
  invisible(x)
}

weights_header <- function(method, monotone, stabilize, formula) {
  sprintf("<pa_weights> %s, %s, %s; %s",
          switch(method, logit = "logistic response models",
                 firth = "Firth-penalised response models",
                 calibrate = "calibration"),
          if (monotone) "monotone dropout" else "one model per wave",
          if (stabilize) "stabilised" else "not stabilised",
          paste(deparse(formula, width.cutoff = 200L), collapse = " "))
}

#' @rdname summary.pa_weights
#' @export
print.pa_weights <- function(x, ...) {
  cat(weights_header(x$method, x$monotone, x$stabilize, x$formula), "\n",
      sep = "")
  e <- ess(x)
  cat(sprintf("  %-6s n = %5d   sum = %10.4g   ESS = %8.1f   max/mean = %6.2f\n",
              e$wave, e$n, e$sum_weights, e$ess,
              apply(x$weights, 2, function(v) max(v, na.rm = TRUE) /
                      mean(v, na.rm = TRUE))),
      sep = "")
  print_complete_stages(x$complete_stages)
  if (any(x$trimming$n_trimmed > 0)) {
    cat(sprintf("  trimmed: %s\n",
                paste0(x$trimming$wave, " ", x$trimming$n_trimmed,
                       collapse = ", ")))
  }
  invisible(x)
}

