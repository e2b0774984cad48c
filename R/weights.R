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
#'   of covariates work as in [stats::model.matrix()].
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
#'   holding base (design) weights; `NULL` for equal base weights.
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
                              calfun = c("raking", "linear", "logit", "kott"),
                              bounds = NULL, stabilize = TRUE,
                              numerator = NULL, trim = NULL, cap = NULL,
                              na_action = c("fail", "indicator"),
                              control = list(maxit = 100, epsilon = 1e-10)) {
  if (!inherits(panel, "pa_panel")) {
    arg_error("panel", "a pa_panel from panel_data()", panel)
  }
  method <- match_choice(method, c("logit", "firth", "calibrate"), "method")
  calfun <- match_choice(calfun, c("raking", "linear", "logit", "kott"),
                         "calfun")
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
  formula <- with_indicators(formula, covars$indicators)
  if (!is.null(numerator)) {
    numerator <- with_indicators(numerator, covars$indicators)
  }
  check_response_patterns(panel$response, panel$waves, monotone,
                          isTRUE(panel$frame_given))
  w <- fit_weights(panel, covars$data, covars$base, formula, numerator,
                   method, monotone, history, base, margins, calfun, bounds,
                   stabilize, trim, cap, na_action, control,
                   call = match.call(), history_lags = history_lags)
  # the user's numerator variables, before any missing-value indicators
  w$numerator_vars <- numerator_vars
  w
}

# The weighting itself, on checked arguments, prepared covariates (with
# any missing-value indicators) and base weights `d`. Split from
# attrition_weights() so that a pair of waves can be weighted by the same
# method on a panel whose later wave's response is replaced by response at
# both (pair_weights()). `labels` name the waves in messages.
fit_weights <- function(panel, covariates, d, formula, numerator, method,
                        monotone, history, base, margins, calfun, bounds,
                        stabilize, trim, cap, na_action, control, call,
                        labels = panel$waves, history_lags = 1) {
  waves <- panel$waves
  resp <- panel$response
  n_people <- nrow(resp)
  # who answered at each wave, taken once and without the row names that
  # every column taken from `resp` would copy; `ids` are the names such a
  # column has (none for a single person, whose column drops both
  # dimensions)
  answered <- response_columns(resp)
  ids <- if (n_people != 1L) rownames(resp)
  covars <- list(data = covariates, base = d)
  # who is in the baseline sample: everyone who started (frame) or the
  # first wave's respondents
  with_frame <- isTRUE(panel$frame_given)

  weights <- matrix(NA_real_, n_people, length(waves),
                    dimnames = dimnames(resp))
  num_prob <- if (!is.null(numerator)) {
    matrix(NA_real_, n_people, length(waves))
  }
  stages <- list()
  num_stages <- list()
  # response-model stages at which everyone at risk answered: p = 1, no
  # model, nothing estimated (kept apart so that the variance estimators
  # and the bootstrap, which walk `stages`, never see them)
  complete <- list()

  add_stage <- function(stage) {
    if (isTRUE(stage$complete)) {
      complete[[length(complete) + 1L]] <<- stage
    } else {
      stages[[length(stages) + 1L]] <<- stage
    }
    stage
  }
  add_numerator <- function(stage) {
    if (!isTRUE(stage$complete)) {
      num_stages[[length(num_stages) + 1L]] <<- stage
    }
    stage
  }

  resp_1 <- answered[[1]]
  if (!any(resp_1)) {
    pa_abort(sprintf("Nobody answered at the first wave (%s).", waves[1]),
             class = "panelattrition_weights_error", wave = waves[1])
  }
  baseline_rows <- if (with_frame) {
    seq_len(n_people)
  } else {
    which_rows(resp_1, ids)
  }

  # the first wave
  if (with_frame) {
    everyone <- seq_len(n_people)
    if (!is.null(margins)) {
      st <- add_stage(calibration_stage(
        0L, waves[1], everyone, resp_1, d, covars$data, formula,
        start = d, totals = margins, calfun = calfun, bounds = bounds,
        control = control, target = "margins", ids = ids
      ))
    } else if (method == "calibrate") {
      st <- add_stage(calibration_stage(
        0L, waves[1], everyone, resp_1, d, covars$data, formula,
        start = d, totals = NULL, calfun = calfun, bounds = bounds,
        control = control, target = "frame", ids = ids
      ))
    } else {
      st <- add_stage(model_stage(
        0L, waves[1], everyone, resp_1, d, covars$data, formula,
        method, control, ids
      ))
    }
    weights[st$respondents, 1] <- if (st$type == "calibrate") {
      st$weight
    } else {
      d[st$respondents] / st$prob
    }
    if (!is.null(numerator)) {
      ns <- add_numerator(numerator_stage(
        everyone, resp_1, d, covars$data, numerator, method, control, 1L,
        waves[1], ids
      ))
      num_prob[, 1] <- ns$prob_all
    }
  } else {
    weights[baseline_rows, 1] <- d[baseline_rows]
    if (!is.null(numerator)) num_prob[, 1] <- 1
  }

  resp_t <- resp_1
  for (t in seq_along(waves)[-1]) {
    label <- labels[t]
    resp_prev <- resp_t
    resp_t <- answered[[t]]
    if (!any(resp_t)) {
      pa_abort(
        sprintf(paste("Nobody answered at wave %s, so no weights can be",
                      "built for it. Drop the wave with panel_data(waves = ).",
                      collapse = ""), label),
        class = "panelattrition_weights_error", wave = label
      )
    }
    if (monotone) {
      risk <- which_rows(resp_prev, ids)
      stage_data <- covars$data
      stage_formula <- formula
      if (!is.null(history)) {
        hist <- stage_history(panel, history, history_lags, t, na_action)
        stage_data <- cbind(stage_data, hist$values)
        stage_formula <- add_terms(formula, hist$terms)
      }
      if (method == "calibrate") {
        st <- add_stage(calibration_stage(
          t - 1L, label, risk, resp_t, d, stage_data,
          stage_formula, start = weights[, t - 1], totals = NULL,
          calfun = calfun, bounds = bounds, control = control,
          target = "previous", ids = ids, start_wave = waves[t - 1]
        ))
        weights[st$respondents, t] <- st$weight
      } else {
        st <- add_stage(model_stage(
          t - 1L, label, risk, resp_t, d, stage_data,
          stage_formula, method, control, ids
        ))
        weights[st$respondents, t] <- weights[st$respondents, t - 1] /
          st$prob
      }
      if (!is.null(numerator)) {
        ns <- add_numerator(numerator_stage(
          risk, resp_t, d, covars$data, numerator, method, control, t,
          label, ids
        ))
        num_prob[, t] <- num_prob[, t - 1] * ns$prob_all
      }
    } else {
      risk <- baseline_rows
      if (method == "calibrate") {
        st <- add_stage(calibration_stage(
          t - 1L, label, risk, resp_t, d, covars$data,
          formula, start = d, totals = NULL, calfun = calfun,
          bounds = bounds, control = control, target = "baseline",
          ids = ids
        ))
        weights[st$respondents, t] <- st$weight
      } else {
        st <- add_stage(model_stage(
          t - 1L, label, risk, resp_t, d, covars$data,
          formula, method, control, ids
        ))
        weights[st$respondents, t] <- d[st$respondents] / st$prob
      }
      if (!is.null(numerator)) {
        ns <- add_numerator(numerator_stage(
          risk, resp_t, d, covars$data, numerator, method, control, t,
          label, ids
        ))
        num_prob[, t] <- ns$prob_all
      }
    }
  }

  # stabilising: the cumulative response rate, or the numerator model
  stabilizer <- rep(1, length(waves))
  # the factor each weight was multiplied by, so that the inverse
  # probabilities can be recovered (the doubly robust estimators need them)
  stabilizing <- matrix(1, n_people, length(waves), dimnames = dimnames(resp))
  if (stabilize) {
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

  trimming <- trim_weights(weights, resp, trim, cap, labels)
  weights <- trimming$weights

  structure(
    list(
      weights = weights, stages = stages, numerator_stages = num_stages,
      complete_stages = complete,
      trimming = trimming$report, stabilizer = stabilizer,
      stabilizing = stabilizing,
      panel = panel, formula = formula, numerator = numerator,
      method = method, monotone = monotone, history = history,
      history_lags = history_lags, stabilize = stabilize, base = base, margins = margins,
      calfun = if (method == "calibrate" || !is.null(margins)) calfun,
      bounds = bounds, trim = trim, cap = cap, na_action = na_action,
      base_weights = d, baseline_rows = baseline_rows, control = control,
      covariates = covars$data, call = call
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
  fit_weights(panel, w$covariates, w$base_weights, w$formula, w$numerator,
              w$method, w$monotone, w$history, w$base, w$margins,
              w$calfun %||% "raking", w$bounds, w$stabilize, w$trim, w$cap,
              w$na_action, w$control, call = w$call, labels = labels,
              history_lags = w$history_lags %||% 1)
}

# Arguments ----------------------------------------------------------------

match_choice <- function(x, choices, arg) {
  if (identical(x, choices)) return(choices[1L])
  if (!is.character(x) || length(x) != 1L || is.na(x) || !x %in% choices) {
    arg_error(arg, paste0("one of ", paste0("\"", choices, "\"",
                                            collapse = ", ")), x)
  }
  x
}

check_rhs_formula <- function(f, arg) {
  if (!inherits(f, "formula")) arg_error(arg, "a one-sided formula", f)
  if (length(f) == 3L) {
    pa_abort(
      sprintf(paste("`%s` must be one-sided (~ x1 + x2): the response is",
                    "who answered, which the panel already knows."), arg),
      class = "panelattrition_arg_error", argument = arg
    )
  }
  f
}

check_trim <- function(trim, cap) {
  if (!is.null(trim) && !is.null(cap)) {
    pa_abort("Give `trim` or `cap`, not both.",
             class = "panelattrition_arg_error", argument = "trim")
  }
  if (!is.null(trim) && (!is.numeric(trim) || length(trim) != 1L ||
                         is.na(trim) || trim <= 0.5 || trim >= 1)) {
    arg_error("trim", "a number between 0.5 and 1", trim)
  }
  if (!is.null(cap) && (!is.numeric(cap) || length(cap) != 1L ||
                        is.na(cap) || cap <= 1 || !is.finite(cap))) {
    arg_error("cap", "a finite number greater than 1", cap)
  }
  invisible()
}

check_bounds <- function(bounds, calfun, method, margins) {
  calibrating <- method == "calibrate" || !is.null(margins)
  if (is.null(bounds)) {
    if (calibrating && calfun == "logit") {
      pa_abort("`calfun = \"logit\"` needs `bounds = c(L, U)` with L < 1 < U.",
               class = "panelattrition_arg_error", argument = "bounds")
    }
    return(NULL)
  }
  if (calibrating && calfun == "kott") {
    pa_abort(
      paste("`bounds` cannot be used with `calfun = \"kott\"`: its weights",
            "are inverse logistic response probabilities, and bounding them",
            "would break that model. Leave `bounds = NULL`."),
      class = "panelattrition_arg_error", argument = "bounds"
    )
  }
  if (!is.numeric(bounds) || length(bounds) != 2L || anyNA(bounds) ||
      bounds[1] >= 1 || bounds[2] <= 1 || bounds[1] < 0) {
    arg_error("bounds", "c(L, U) with 0 <= L < 1 < U", bounds)
  }
  bounds
}

check_history_lags <- function(lags, history) {
  if (!is.numeric(lags) || length(lags) != 1L || is.na(lags) ||
      lags < 1 || (is.finite(lags) && lags != round(lags))) {
    arg_error("history_lags",
              "a positive whole number, or Inf for all earlier waves", lags)
  }
  if (is.null(history) && lags != 1) {
    pa_abort(
      paste("`history_lags` says how many earlier waves of the `history`",
            "variables enter the response models; name those variables",
            "with `history`."),
      class = "panelattrition_arg_error", argument = "history_lags"
    )
  }
  if (is.finite(lags) && lags < .Machine$integer.max) as.integer(lags) else Inf
}

check_control <- function(control) {
  if (!is.list(control)) arg_error("control", "a list(maxit, epsilon)", control)
  out <- list(maxit = 100, epsilon = 1e-10)
  out[names(control)] <- control
  if (!is.numeric(out$maxit) || length(out$maxit) != 1L || out$maxit < 1) {
    arg_error("control$maxit", "a positive number", out$maxit)
  }
  if (!is.numeric(out$epsilon) || length(out$epsilon) != 1L ||
      !(out$epsilon > 0)) {
    arg_error("control$epsilon", "a positive number", out$epsilon)
  }
  out[c("maxit", "epsilon")]
}

# Data ------------------------------------------------------------------------

# The person-level covariates the formulas use, with missing values either
# refused (listing variables and counts) or replaced with indicators.
prepare_covariates <- function(panel, formula, numerator, base, na_action) {
  vars <- unique(c(all.vars(formula),
                   if (!is.null(numerator)) all.vars(numerator)))
  bl <- panel$baseline
  have <- names(bl)
  if (isTRUE(panel$frame_given)) have <- union(have, names(panel$frame))
  absent <- setdiff(c(vars, base), have)
  if (length(absent)) {
    pa_abort(
      sprintf(paste("%s not among the panel's baseline covariates: %s.",
                    "Name them in panel_data(baseline = ) (or put them in",
                    "`frame`)."),
              upper_first(plural(length(absent), "variable")),
              format_names(absent)),
      class = "panelattrition_arg_error", argument = "formula",
      variables = absent
    )
  }
  get_col <- function(v) {
    if (v %in% names(bl)) return(bl[[v]])
    panel$frame[[v]][match(panel$ids, panel$frame[[panel$id]])]
  }
  data <- list2DF(stats::setNames(lapply(vars, get_col), vars))
  if (length(vars) == 0L) data <- data.frame(row.names = seq_len(nrow(bl)))

  d <- rep(1, nrow(bl))
  if (!is.null(base)) {
    check_string(base, "base")
    d <- get_col(base)
    if (!is.numeric(d) || anyNA(d) || any(!is.finite(d)) || any(d <= 0)) {
      pa_abort(
        sprintf("Base weights `%s` must be positive finite numbers for everyone; %d are not.",
                base, sum(!is.numeric(d) | is.na(d) | !is.finite(d) | d <= 0)),
        class = "panelattrition_arg_error", argument = "base"
      )
    }
  }
  data <- handle_missing(data, na_action, "baseline covariates")
  list(data = data, base = as.numeric(d),
       indicators = attr(data, "indicators"))
}

# Missing-indicator columns join the formulas that use their variable.
with_indicators <- function(formula, indicators) {
  use <- indicators[names(indicators) %in% all.vars(formula)]
  if (length(use) == 0L) return(formula)
  add_terms(formula, unname(use))
}

handle_missing <- function(data, na_action, what) {
  # the infinite and the missing values of each column; a finite sum of a
  # plain double column rules out both, and a factor whose levels count
  # all its values has no missing one (anyNA() would make is.na(x) for it)
  counts <- vapply(data, function(x) {
    if (is.double(x) && !is.object(x) && is.finite(sum(x)) ||
        is.factor(x) && sum(tabulate(x, nlevels(x))) == length(x)) {
      return(c(0, 0))
    }
    c(if (!is.numeric(x) || is.integer(x) && !is.object(x)) {
        0
      } else {
        sum(is.infinite(x))
      },
      if (anyNA(x)) sum(is.na(x)) else 0)
  }, numeric(2))
  n_inf <- counts[1L, ]
  n_na <- counts[2L, ]
  if (any(n_inf > 0)) {
    bad <- n_inf[n_inf > 0]
    pa_abort(
      sprintf("Infinite values in the %s: %s. Recode them (or set them to NA).",
              what, paste0("`", names(bad), "` (", bad, ")", collapse = ", ")),
      class = "panelattrition_missing_error", variables = names(bad),
      counts = unname(bad)
    )
  }
  if (!any(n_na > 0)) return(data)
  if (na_action == "fail") {
    bad <- n_na[n_na > 0]
    pa_abort(
      sprintf(paste("Missing values in the %s: %s.",
                    "Impute them, drop the variables, or use",
                    "na_action = \"indicator\"."),
              what, paste0("`", names(bad), "` (", bad, ")", collapse = ", ")),
      class = "panelattrition_missing_error", variables = names(bad),
      counts = unname(bad)
    )
  }
  indicators <- character()
  for (v in names(n_na)[n_na > 0]) {
    x <- data[[v]]
    miss <- is.na(x)
    if (is.numeric(x) || is.logical(x)) {
      x <- as.numeric(x)
      x[miss] <- mean(x[!miss])
      data[[v]] <- x
      indicators[v] <- paste0(v, "_missing")
      data[[indicators[v]]] <- as.numeric(miss)
    } else {
      x <- as.character(x)
      x[miss] <- "(missing)"
      data[[v]] <- factor(x)
    }
  }
  attr(data, "indicators") <- indicators
  data
}

# The history entering the model for answering at wave index t: the
# values of the `history` variables at waves t - 1, ..., t - k (as many of
# them as exist), lag 1 named `<var>_prev`, lag j `<var>_lag<j>`. Under
# monotone dropout everyone at risk at t answered all of those waves.
stage_history <- function(panel, history, lags, t, na_action) {
  k <- min(lags, t - 1)
  parts <- lapply(seq_len(k), function(j) {
    history_values(panel, history, panel$waves[t - j], na_action,
                   suffix = if (j == 1L) "_prev" else paste0("_lag", j))
  })
  if (length(parts) == 1L) return(parts[[1L]])
  list(values = do.call(cbind, lapply(parts, `[[`, "values")),
       terms = unlist(lapply(parts, `[[`, "terms"), use.names = FALSE))
}

# Answers at one earlier wave to be used as history, one row per person.
history_values <- function(panel, history, wave_label, na_action,
                           suffix = "_prev") {
  dat <- panel$data
  wave <- dat[[panel$wave]]
  at <- if (is.factor(wave)) {
    which(unclass(wave) == match(wave_label, levels(wave)))
  } else {
    which(wave == wave_label)
  }
  # each person's row of `dat` at that wave (the first, were there two)
  person <- person_index(panel)[at]
  if (!isFALSE(is.unsorted(person, strictly = TRUE))) {
    # not one row per person in order of person, as panel_data() makes
    # them: pair the people with their first rows
    known <- !is.na(person)
    rows <- rep(NA_integer_, nrow(panel$response))
    rows[rev(person[known])] <- rev(at[known])
    person <- which(!is.na(rows))
    at <- rows[person]
  }
  values <- lapply(history, function(v) dat[[v]][at])
  names(values) <- paste0(history, suffix)
  # only those at risk (who answered at the previous wave) matter
  checked <- handle_missing(list2DF(values), na_action,
                            sprintf("history at wave %s", wave_label))
  # then one row per person, NA for those who did not answer
  back <- rep(NA_integer_, nrow(panel$response))
  back[person] <- seq_along(person)
  full <- lapply(checked, `[`, back)
  list(values = list2DF(full), terms = names(full))
}

add_terms <- function(formula, terms) {
  rhs <- paste(deparse(formula[[2]], width.cutoff = 500L), collapse = " ")
  stats::as.formula(paste("~", rhs, "+", paste(terms, collapse = " + ")),
                    env = environment(formula))
}

# which(x), named like x, without making which() read every name: row names
# made from integer ids are strings converted only when read, and which()
# would convert them all at every call. `ids`: the names, when x comes
# without them (a column of the response matrix taken without its row
# names).
which_rows <- function(x, ids = names(x)) {
  out <- which(unname(x))
  names(out) <- ids[out]
  out
}

# The columns of the response matrix, without its row names.
response_columns <- function(resp) {
  r <- unname(resp)
  lapply(seq_len(ncol(r)), function(t) r[, t])
}

# Patterns that the chosen scheme cannot weight are errors that say how
# many people and what to do.
check_response_patterns <- function(resp, waves, monotone, with_frame,
                                    answered = response_columns(resp)) {
  if (ncol(resp) < 2L) return(invisible())
  if (!with_frame && !isTRUE(all(answered[[1L]]))) {
    late <- !resp[, 1] & rowSums(resp) > 0
    if (any(late)) {
      pa_abort(
        sprintf(paste("%d %s first answered after the first wave (%s), so",
                      "they are not in the baseline sample and cannot be",
                      "weighted. Give panel_data() a `frame` of everyone",
                      "who started, or remove them."),
                sum(late), plural(sum(late), "person", "people"), waves[1]),
        class = "panelattrition_monotone_error", n = sum(late)
      )
    }
  }
  # whether anyone answered after missing the wave before, one wave at a
  # time, before the full count below
  returned <- function() {
    for (t in seq_len(ncol(resp))[-1L]) {
      if (!isFALSE(any(answered[[t]] & !answered[[t - 1L]]))) return(TRUE)
    }
    FALSE
  }
  if (monotone && returned()) {
    back <- resp[, -1, drop = FALSE] & !resp[, -ncol(resp), drop = FALSE]
    who <- rowSums(back) > 0
    if (any(who)) {
      first_back <- apply(back[who, , drop = FALSE], 1, which.max) + 1L
      tab <- table(factor(waves[first_back], levels = waves[-1]))
      tab <- tab[tab > 0]
      pa_abort(
        sprintf(paste("Dropout is not monotone: %d %s answered a wave after",
                      "missing the one before (%s). Use monotone = FALSE for",
                      "one response model per wave, or drop those answers."),
                sum(who), plural(sum(who), "person", "people"),
                paste0(names(tab), ": ", tab, collapse = ", ")),
        class = "panelattrition_monotone_error", n = sum(who),
        ids = rownames(resp)[who]
      )
    }
  }
  invisible()
}

# Stages -----------------------------------------------------------------------

# Who answered among the people at risk, named by their ids as a column of
# the response matrix is: `responded` (one per person) comes without the
# names, and those of `risk`, when it has them, are the same ids already.
responded_at <- function(responded, risk, ids) {
  r <- responded[risk]
  names(r) <- if (is.null(names(risk))) ids[risk] else names(risk)
  r
}

stage_name <- function(stage, wave) {
  if (stage == 0L) sprintf("%s (among everyone who started)", wave)
  else wave
}

# The model frame and matrix of a stage, built on the people at risk only,
# as glm(formula, data = <those at risk>) would build them (unused factor
# levels dropped; a factor left with one level is an error), without row
# names: row k is the person risk[k].
stage_matrix <- function(data, formula, rows, label) {
  x <- plain_stage_matrix(data, formula, rows)
  if (!is.null(x)) return(x)
  sub <- data[rows, , drop = FALSE]
  mf <- tryCatch(
    stats::model.frame(formula, data = sub, na.action = stats::na.fail,
                       drop.unused.levels = TRUE),
    error = function(e) {
      pa_abort(sprintf("Cannot build the model for %s: %s", label,
                       conditionMessage(e)),
               class = "panelattrition_weights_error", stage = label)
    }
  )
  single <- vapply(mf, function(x) {
    (is.factor(x) || is.character(x)) && length(unique(x)) < 2L
  }, logical(1))
  if (any(single)) {
    pa_abort(
      sprintf(paste("Covariate %s %s a single level among the %d people at",
                    "risk for %s, so it cannot enter the model. Drop it or",
                    "merge levels."),
              format_names(names(mf)[single]),
              if (sum(single) == 1L) "has" else "have", length(rows), label),
      class = "panelattrition_weights_error", stage = label,
      variables = names(mf)[single]
    )
  }
  x <- stats::model.matrix(attr(mf, "terms"), mf)
  if (!is.double(x)) storage.mode(x) <- "double"
  without_row_names(x)
}

# The common case of stage_matrix() without its copies and checks: every
# variable of the formula a plain column of `data` (a number, or an
# unordered factor with the default contrasts), entering as a main effect
# or in interactions (no poly(), scale(), I()...), with no missing values
# among the rows, and every factor with all its levels, at least two,
# among them. Then there is nothing to drop or refuse, and the model matrix
# is built directly on those columns' rows, with the row names a data frame
# subset would give. NULL when the case is not this one.
plain_stage_matrix <- function(data, formula, rows) {
  n <- length(rows)
  if (!is.integer(rows) || n == 0L || .row_names_info(data) >= 0L ||
      !isFALSE(is.unsorted(rows, strictly = TRUE)) ||
      rows[1L] < 1L || rows[n] > nrow(data)) {
    return(NULL)
  }
  tt <- tryCatch(stats::terms(formula), error = function(e) NULL)
  if (is.null(tt) || attr(tt, "response") != 0L ||
      !is.null(attr(tt, "offset"))) {
    return(NULL)
  }
  vars <- as.list(attr(tt, "variables"))[-1L]
  if (length(vars) == 0L || !all(vapply(vars, is.name, logical(1)))) {
    return(NULL)
  }
  vars <- vapply(vars, as.character, character(1))
  if (anyDuplicated(names(data)) || !all(vars %in% names(data))) {
    return(NULL)
  }
  cols <- list()
  for (v in vars) {
    x <- data[[v]]
    plain <- is.null(dim(x)) &&
      ((is.numeric(x) && !is.object(x)) ||
         (is.factor(x) && !is.ordered(x) && is.null(attr(x, "contrasts"))))
    if (!plain || is.factor(x) && nlevels(x) < 2L) return(NULL)
    cols[[v]] <- x
  }
  # main effects: the C code reads the rows of the whole columns, and
  # checks them; a variable that is no term (~ x + g - g) is checked here
  if (main_effects_only(tt, vars)) {
    for (v in setdiff(vars, attr(tt, "term.labels"))) {
      if (is.null(rows_complete(cols[[v]], rows))) return(NULL)
    }
    return(main_effects_matrix(tt, cols, rows))
  }
  for (v in vars) {
    x <- rows_complete(cols[[v]], rows)
    if (is.null(x)) return(NULL)
    cols[[v]] <- x
  }
  sub <- list2DF(cols)
  attr(sub, "row.names") <- rows
  tryCatch({
    mf <- stats::model.frame(formula, data = sub, na.action = stats::na.pass)
    x <- stats::model.matrix(attr(mf, "terms"), mf)
    if (is.double(x)) without_row_names(x)
  }, error = function(e) NULL)
}

# x[rows], or NULL if a value among them is missing or a level of a factor
# has no row.
rows_complete <- function(x, rows) {
  x <- x[rows]
  if (anyNA(x)) return(NULL)
  if (is.factor(x) && !all(tabulate(x, nlevels(x)) > 0L)) return(NULL)
  x
}

# Row names of a stage's matrix would only repeat the rows at risk, and
# making them (one string per person) costs as much as the matrix itself.
without_row_names <- function(x) {
  if (!is.null(rownames(x))) rownames(x) <- NULL
  x
}

# model.matrix() for an intercept and main effects of plain numeric and
# factor columns under treatment contrasts, filled in C on the rows `rows`
# of the columns in `cols` (NULL: all of them): the intercept, each numeric
# column, and for a factor a 1 in the column of each row's level (none for
# the first). Same columns, names, `assign` and `contrasts` as
# model.matrix() on those rows, without row names. NULL when the formula
# is not of that kind, or when among the rows a value is missing or a
# level of a factor absent (model.matrix() would keep or drop them).
main_effects_matrix <- function(tt, cols, rows = NULL) {
  if (!main_effects_only(tt, names(cols))) return(NULL)
  labels <- attr(tt, "term.labels")
  cols <- cols[labels]
  is_factor <- vapply(cols, is.factor, logical(1), USE.NAMES = FALSE)
  k <- vapply(cols, nlevels, integer(1), USE.NAMES = FALSE)
  if (any(is_factor & k < 2L)) return(NULL)
  widths <- ifelse(is_factor, k - 1L, 1L)
  first <- as.integer(1L + cumsum(c(1L, widths))[seq_along(labels)])
  # a factor's codes are its integer vector: no unclass() copy
  x <- .Call(C_main_effects, unname(cols), rows, is_factor, first,
             as.integer(1L + sum(widths)))
  if (is.null(x)) return(NULL)
  names_x <- c("(Intercept)", unlist(lapply(seq_along(labels), function(j) {
    if (is_factor[j]) paste0(labels[j], levels(cols[[j]])[-1L]) else labels[j]
  }), use.names = FALSE))
  dimnames(x) <- list(NULL, names_x)
  attr(x, "assign") <- rep(c(0L, seq_along(labels)), c(1L, widths))
  if (any(is_factor)) {
    attr(x, "contrasts") <- stats::setNames(
      as.list(rep("contr.treatment", sum(is_factor))), labels[is_factor])
  }
  x
}

# Whether the terms are an intercept and main effects of the variables
# `vars` under treatment contrasts, as main_effects_matrix() builds them.
main_effects_only <- function(tt, vars) {
  labels <- attr(tt, "term.labels")
  attr(tt, "intercept") == 1L && length(labels) > 0L &&
    all(attr(tt, "order") == 1L) && all(labels %in% vars) &&
    identical(unname(getOption("contrasts")[1L]), "contr.treatment")
}

# A response-model stage at which everyone at risk answered. The response
# probability is 1, not a model's estimate: the maximum likelihood one
# does not exist (the intercept diverges), and Firth's penalised one is
# below 1 and would make the weights vary although nobody dropped out.
# The weights carry over unchanged, and nothing is estimated, so the
# stage adds nothing to a sandwich or to a bootstrap replicate (in which
# everyone at risk answers too).
complete_stage <- function(stage, wave, risk, r, method, formula,
                           label = stage_name(stage, wave)) {
  list(
    stage = stage, wave = wave, wave_index = stage + 1L, label = label,
    type = method, formula = formula, complete = TRUE,
    risk = risk, responded = r, respondents = risk,
    prob = rep(1, length(risk))
  )
}

model_stage <- function(stage, wave, risk, responded, d, data, formula,
                        method, control, ids) {
  label <- stage_name(stage, wave)
  r <- responded_at(responded, risk, ids)
  if (all(r)) return(complete_stage(stage, wave, risk, r, method, formula))
  x <- stage_matrix(data, formula, risk, label)
  base <- d[risk]
  # the scores are x * residuals; the variance code works from those
  fit <- fit_stage_logit(x, as.numeric(r), base, method, control, label)
  list(
    stage = stage, wave = wave, wave_index = stage + 1L, label = label,
    type = method, formula = formula,
    risk = risk, responded = r, x = x, base = base, fit = fit,
    respondents = risk[r], prob = fit$fitted[r]
  )
}

calibration_stage <- function(stage, wave, risk, responded, d, data, formula,
                              start, totals, calfun, bounds, control, target,
                              ids, start_wave = NULL) {
  label <- stage_name(stage, wave)
  r <- responded_at(responded, risk, ids)
  if (is.null(totals) && all(r)) {
    # everyone at risk answered: their weighted totals are the targets
    # already, g = 1 for every calibration function (kott's F never
    # reaches 1), and the stage is left out like a response model's
    st <- complete_stage(stage, wave, risk, r, "calibrate", formula, label)
    st$weight <- start[risk]
    return(st)
  }
  x_all <- stage_matrix(data, formula, risk, label)
  if (!is.null(start_wave)) {
    check_sequential_start(start[risk][r], start_wave, wave, calfun)
  }
  bad_col <- which(!is.finite(colSums(x_all)))
  if (length(bad_col) && any(!is.finite(x_all))) {
    bad_col <- bad_col[vapply(bad_col, function(j) any(!is.finite(x_all[, j])),
                              logical(1))]
    pa_abort(
      sprintf(paste("Cannot calibrate at %s: %s of model.matrix(formula)",
                    "%s infinite or undefined values among the people at",
                    "risk. Transform or recode the covariates."),
              label, format_names(colnames(x_all)[bad_col]),
              if (length(bad_col) == 1L) "has" else "have"),
      class = "panelattrition_calibration_error", stage = label,
      margin = colnames(x_all)[bad_col], reason = "non_finite"
    )
  }
  if (is.null(totals)) {
    totals <- colSums(x_all * start[risk])
    if (any(!is.finite(totals))) {
      bad <- colnames(x_all)[!is.finite(totals)]
      pa_abort(
        sprintf(paste("Cannot calibrate at %s: the weighted totals of %s",
                      "overflow. Rescale the covariates."),
                label, format_names(bad)),
        class = "panelattrition_calibration_error", stage = label,
        margin = bad, reason = "non_finite"
      )
    }
  } else {
    extra <- setdiff(names(totals), colnames(x_all))
    lacking <- setdiff(colnames(x_all), names(totals))
    if (is.null(names(totals)) || length(extra) || length(lacking)) {
      pa_abort(
        sprintf(paste("`margins` must name every column of",
                      "model.matrix(formula, frame): %s.%s%s"),
                format_names(colnames(x_all)),
                if (length(lacking)) sprintf(" Missing: %s.", format_names(lacking)) else "",
                if (length(extra)) sprintf(" Not columns: %s.", format_names(extra)) else ""),
        class = "panelattrition_arg_error", argument = "margins"
      )
    }
    totals <- totals[colnames(x_all)]
    if (!is.numeric(totals) || any(!is.finite(totals))) {
      pa_abort(
        sprintf("`margins` must be finite numbers; %s %s not.",
                format_names(names(totals)[!is.finite(totals)]),
                if (sum(!is.finite(totals)) == 1L) "is" else "are"),
        class = "panelattrition_arg_error", argument = "margins"
      )
    }
  }
  x <- x_all[r, , drop = FALSE]
  cal <- calibrate_weights(x, start[risk][r], totals, calfun = calfun,
                           bounds = bounds, control = control, stage = label)
  list(
    stage = stage, wave = wave, wave_index = stage + 1L, label = label,
    type = "calibrate",
    formula = formula, risk = risk, responded = r, x = x_all,
    base = d[risk], start = start[risk], totals = totals, target = target,
    fit = cal, respondents = risk[r], weight = cal$weights
  )
}

# Sequential calibration starts wave t's respondents from their weights at
# t - 1. A linear calibration (or one bounded below by 0) may give some
# weights a negative or zero value: a legitimate answer for one calibration
# (and harmless for people who drop out next), but no calibration function
# can start from it, since g = w / start must stay in the function's range.
check_sequential_start <- function(start, start_wave, wave, calfun) {
  bad <- !is.finite(start) | !(start > 0)
  if (!any(bad)) return(invisible())
  pa_abort(
    sprintf(paste("Sequential calibration cannot go on to wave %s: the %s",
                  "calibration at wave %s gave %d of wave %s's respondents",
                  "a negative or zero weight, and their calibration must",
                  "start from positive weights. Use calfun = \"logit\" with",
                  "bounds (such as bounds = c(0.2, 5)), or calfun =",
                  "\"raking\": both keep every weight positive."),
            wave, calfun, start_wave, sum(bad), wave),
    class = c("panelattrition_negative_weights_error",
              "panelattrition_calibration_error"),
    stage = wave, wave = start_wave, n = sum(bad),
    reason = "negative_weights"
  )
}

# The numerator model of stabilised weights at wave t: kept as a stage of
# its own (the variance estimators need its scores too).
numerator_stage <- function(risk, responded, d, data, numerator, method,
                            control, t, wave, ids) {
  label <- sprintf("%s (numerator of the stabilised weights)", wave)
  r <- responded_at(responded, risk, ids)
  prob <- rep(NA_real_, length(responded))
  if (all(r)) {
    prob[risk] <- 1
    st <- complete_stage(t - 1L, wave, risk, r, method, numerator, label)
    st$numerator_model <- TRUE
    st$prob_all <- prob
    return(st)
  }
  x <- stage_matrix(data, numerator, risk, label)
  base <- d[risk]
  fit <- fit_stage_logit(x, as.numeric(r), base, method, control, label)
  prob[risk] <- fit$fitted
  list(stage = t - 1L, wave = wave, wave_index = t, label = label,
       numerator_model = TRUE,
       type = method, formula = numerator, risk = risk,
       responded = r, x = x, base = base, fit = fit,
       prob_all = prob)
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
  check_weights_object(w)
  stages <- c(w$stages, w$complete_stages)
  rows <- lapply(stages, function(st) {
    if (isTRUE(st$complete)) {
      data.frame(stage = st$stage, wave = st$wave, term = NA_character_,
                 estimate = NA_real_, std_error = NA_real_, converged = NA,
                 note = complete_note(st))
    } else if (st$type == "calibrate") {
      est <- st$fit$lambda
      data.frame(stage = st$stage, wave = st$wave, term = names(est),
                 estimate = unname(est), std_error = NA_real_,
                 converged = isTRUE(st$fit$converged), note = NA_character_)
    } else {
      est <- st$fit$coefficients
      data.frame(stage = st$stage, wave = st$wave, term = names(est),
                 estimate = unname(est), std_error = unname(st$fit$std_error),
                 converged = isTRUE(st$fit$converged), note = NA_character_)
    }
  })
  # stages in the order they were solved
  rows <- rows[order(vapply(stages, `[[`, integer(1), "stage"))]
  out <- do.call(rbind, rows)
  rownames(out) <- NULL
  out
}

complete_note <- function(st) {
  sprintf("everyone at risk answered (%d); p = 1, no model fitted",
          length(st$risk))
}

#' @rdname weight_diagnostics
#' @export
ess <- function(w) {
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

