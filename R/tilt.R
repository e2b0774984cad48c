# Exponential tilting (selection model) through the weights' own stages:
# each dropout stage is refitted with the outcome at its wave added to the
# response model with a fixed coefficient alpha; the tilted stages are an
# entry of the registry of stage kinds (stages.R), so the sandwich of the
# estimates counts them as it counts any stage.
# print() and plot() methods are in sensitivity.R.

#' Sensitivity to outcome-dependent dropout by exponential tilting
#'
#' A selection-model sensitivity analysis (Rotnitzky, Robins and
#' Scharfstein, 1998; Scharfstein, Rotnitzky and Robins, 1999): the chance
#' of answering at each wave is allowed to depend on the outcome the person
#' would report at that wave, with log odds ratio `alpha` per unit of the
#' outcome, and the weights are rebuilt through their own stages under that
#' model. The wave means (or proportions), the within-person changes from
#' `from`, or the differences between groups are re-estimated for each
#' `alpha`, with sandwich intervals and, when a `null` is given (always for
#' changes and differences), the `alpha` at which the conclusion tips.
#'
#' @section The model:
#' For every dropout stage of the weights (wave \eqn{t} after the first:
#' the people at risk are the previous wave's respondents under monotone
#' dropout, the baseline sample otherwise) a tilted stage is fitted with
#' the same people at risk and the same design \eqn{g_i} (the covariates of
#' `formula` and any `history` terms), under the selection model
#' \deqn{\mathrm{logit}\,\pi_{ti} = g_i'\gamma_t + \alpha y_{ti}}
#' for fixed \eqn{\alpha} (\eqn{y_{ti}} enters only for the respondents,
#' where it is observed), and \eqn{w_{ti} = w_{t-1,i} / \pi_{ti}}. The
#' start \eqn{w_{t-1}} is the previous wave's tilted weight under monotone
#' dropout (the base weight under intermittent response), so the tilting is
#' sequential: a mean at the third wave is tilted at both dropout stages.
#' Each stage is tilted within its own kind, so that `alpha = 0` gives back
#' the stage itself:
#' \itemize{
#' \item a response model (`method = "logit"` or `"firth"`, fitted with
#'   prior weights \eqn{c_i}, the base weights, and fitted probabilities
#'   \eqn{\hat p_i}): \eqn{\gamma_t} solves \eqn{\sum_i c_i \hat p_i
#'   (R_{ti}/\pi_{ti} - 1) g_i = 0} over the people at risk. At
#'   \eqn{\alpha = 0} that is the maximum likelihood score \eqn{\sum_i c_i
#'   (R_{ti} - \hat p_i) g_i}, so \eqn{\gamma_t} is the stage's own
#'   estimate; for any \eqn{\alpha} the equations are unbiased when the
#'   model with that \eqn{\alpha} holds, since \eqn{E(R/\pi - 1 \mid}
#'   past, \eqn{y_t) = 0} and the instruments \eqn{c_i \hat p_i g_i} depend
#'   on the observed past only.
#' \item a calibration (`method = "calibrate"`, any `calfun` \eqn{F}): the
#'   respondents' weights \eqn{w_{t-1,i} F(g_i'\lambda_t - \alpha y_{ti})}
#'   reproduce the stage's totals (the start-weighted totals of the people
#'   at risk). At \eqn{\alpha = 0} that is the calibration itself. The
#'   implied response probability is \eqn{1 / F(g'\lambda - \alpha y)}, a
#'   logistic model for `calfun = "kott"` (\eqn{F(u) = 1 + e^u}, with
#'   \eqn{\gamma = -\lambda}); for raking (\eqn{e^u}), linear
#'   (\eqn{1 + u}) and bounded logit calibration it is another response
#'   model, and the tilted estimate is consistent at the true \eqn{\alpha}
#'   when that model is the true one.
#' }
#' Stage 0 of a frame (nonresponse to the first wave) and the numerator
#' models of stabilised weights are kept as they were; the weights are
#' stabilised as the input's were and not trimmed. A positive `alpha`
#' means people with higher outcomes answer more readily, so their answers
#' are down-weighted. Respondents without a value of the outcome (item
#' nonresponse) enter the tilt term with the weighted mean of the
#' respondents' values. A categorical outcome is tilted on the indicator
#' of `category`.
#'
#' @section Anchoring:
#' Because each tilted stage at `alpha = 0` is the weights' own stage, the
#' curve at `alpha = 0` is the estimate (and standard error) of the weights
#' the user passed, for response models fitted by maximum likelihood and
#' for every calibration function, and the estimate at the true `alpha` is
#' consistent when the tilted response model is the true one. (Before
#' version 0.2 the tilted stages solved other equations than maximum
#' likelihood, raking or linear calibration at `alpha = 0`, and the curve
#' anchored on the input's estimate carried the difference of the two MAR
#' limits under outcome-dependent dropout, about -0.03 at the third wave
#' in the validation study's MNAR panels.)
#'
#' `anchor` matters only for Firth's penalised fits (`method = "firth"`):
#' their tilted stages use the penalised fitted probabilities as
#' instruments but solve the unpenalised equations, which at `alpha = 0`
#' differ from the penalised fit by \eqn{O(1/n)}. With `anchor = TRUE`
#' (the default) the reported estimate is \eqn{\hat\mu_w + \hat\mu(\alpha)
#' - \hat\mu(0)}, with influence values \eqn{IF_w + IF_\alpha - IF_0}, so
#' that `alpha = 0` reproduces the input's estimate and standard error
#' exactly; `anchor = FALSE` reports \eqn{\hat\mu(\alpha)} itself (the
#' input weights' estimate stays in the attribute `mar`). For all other
#' weights both give the same curve.
#'
#' @section Variance:
#' Sandwich standard errors that count every stage: the tilted stages'
#' estimating equations (a tilted calibration chained on the earlier stages
#' through its start weights; a tilted response model on its own stage's
#' maximum likelihood score, through the instruments) are stacked with the
#' estimates' through the registry of stage kinds, by the same code as
#' [wave_means()].
#'
#' With `se = "bootstrap"` and `control = boot_control()` the replicates
#' are those of [wave_means()] (see [boot_control()] and
#' [replicate_weights()]): in replicate `b` person `i` counts `r_i` times
#' (the Bayesian or multinomial bootstrap, or with a sampling design the
#' Rao-Wu bootstrap of PSUs within strata), every stage of the weights is
#' refitted with base weights `d * r` (the same formula, method, history,
#' frame, calibration targets and stabilising), and the tilted stages are
#' fitted on the refitted stages at every `alpha`. The replicate of an
#' anchored row is \eqn{\hat\mu_{w,b} + \hat\mu_b(\alpha) -
#' \hat\mu_b(0)}, with \eqn{\hat\mu_{w,b}} from the replicate weights of
#' the input weights themselves, so that at `alpha = 0` the standard
#' errors and intervals are those of `wave_means(w, se = "bootstrap")`
#' with the same `control`, replicate by replicate; unanchored
#' (`anchor = FALSE`) it is \eqn{\hat\mu_b(\alpha)} (the refit of the
#' untilted weights equals the C engine's of [replicate_weights()] to
#' rounding). The standard error is the standard deviation of the
#' replicates and the interval the percentile interval (for proportions
#' too), as in [wave_means()]; the replicates are kept in the attribute
#' `replicates`. A replicate in which a stage or a tilted stage cannot be
#' fitted is left out at every `alpha`, with a warning of class
#' `panelattrition_bootstrap_warning` (attribute `failed`). The tilted
#' stages are not trimmed, so the replicates of trimmed weights are
#' refitted untrimmed for the tilted part (the anchor keeps the trimmed
#' replicates). With the bootstrap, tipping points (section Tipping
#' points) are searched on the bootstrap's percentile intervals: the
#' replicates at each `alpha` of the search come from the same draws (the
#' same `seed`), so the interval is a deterministic, continuous function
#' of `alpha`, and the root is where the bootstrap interval's bound
#' crosses `null` (replicates that failed on the grid are left out of the
#' search too; an `alpha` at which another replicate cannot be refitted
#' ends the search on that side). Each point of the search refits every
#' replicate, so it takes about as long as a grid of a few dozen values of
#' `alpha`; `tipping = FALSE` skips it.
#'
#' With `se = "jackknife"` and `control = list(groups = G, seed = s)`
#' (defaults 50 and 1) the standard errors are those of the delete-a-group
#' jackknife (Kott 2001): the people are split at random (with seed `s`)
#' into `G` groups of nearly equal size, replicate `g` leaves group `g` out
#' and refits every stage of the weights and the tilted stages (as the
#' bootstrap's replicates do), the variance is \eqn{(G - 1)/G \sum_g
#' (\hat\mu_g - \bar\mu)^2} and the interval the estimate plus or minus
#' the t quantile on \eqn{G - 1} degrees of freedom times the standard
#' error (for proportions the logit interval of the sandwich). With `G`
#' equal to the number of people it is the delete-one jackknife. The
#' replicates are of the tilted estimates themselves (the anchor is not
#' re-estimated per replicate; it is nil but for Firth fits). It is an
#' option for small samples with long-tailed tilted weights, where the
#' sandwich, which linearises the estimate, tends to be optimistic and the
#' jackknife, which refits, is conservative (Efron and Stein, 1981); it
#' ignores a sampling design (refused with one: use the bootstrap). The
#' validation study's MNAR cells at n = 3,000 compare it with the
#' sandwich.
#'
#' The tilted estimates carry a bias of order \eqn{1/n} (the tilted
#' weights are ratios with long tails), which at a few thousand people can
#' be a fifth of a standard error. With the jackknife (and
#' `control$bias_correct = TRUE`, the default) each row's shift
#' \eqn{D(\alpha) = \hat\mu(\alpha) - \hat\mu(0)} is corrected by the
#' jackknife's estimate of its bias, \eqn{(G - 1)(\bar D_g - D)} with
#' \eqn{\bar D_g} the mean over the replicates of their own shift
#' \eqn{\hat\mu_g(\alpha) - \hat\mu_g(0)} (Quenouille's correction,
#' applied to the shift only): the reported estimate is \eqn{\hat\mu_w +
#' D - (G - 1)(\bar D_g - D)}, which at `alpha = 0` is still the input
#' weights' estimate, exactly. The standard error is the jackknife's, the
#' interval is centred on the corrected estimate, and tipping points are
#' searched on the corrected curve (off the grid the replicates are
#' refitted at each `alpha` of the search). In the validation study's
#' MNAR panels at n = 3,000 (500 to 1,000 replications per cell) the
#' correction brought the bias of the T3 mean and of the change from 3 to
#' 7 Monte Carlo standard errors down to 2 or fewer, and coverage up by
#' 0 to 3 points (to 91-94%). `bias_correct = FALSE` reports the
#' uncorrected estimates (the sandwich's).
#'
#' `print()` states which variance was used (the sandwich, the bootstrap
#' with its kind, `B` and seed, or the jackknife with its groups), whether
#' the curve is anchored, and on which intervals the tipping points were
#' searched.
#'
#' @section Benchmark:
#' `alpha` has no scale a reader can judge, so each row also gives
#' `alpha / benchmark`: by default the benchmark is the fitted coefficient
#' of the last observed value of the outcome (the `history` term
#' `<outcome>_prev`) in the weights' response model at the row's wave (for
#' `calfun = "kott"`, minus the calibration coefficient, which is the
#' response model's). A ratio of 2.3 reads "dropout would have to depend on
#' the current outcome 2.3 times as strongly as it depends on the previous
#' one". `benchmark` may name another term of the response models or give
#' a number; without a history term it is `NA`.
#'
#' @section Tipping points:
#' With `null` given, and for changes and differences (null 0), the
#' attribute `tipping` gives for each row the `alpha` nearest zero at which
#' the interval first includes `null` (`criterion = "interval"`, the
#' default) or the estimate crosses it (`"estimate"`), found by
#' [stats::uniroot()] on the continuous function of `alpha` (as
#' [tipping_point()] does for `delta`), and `tipping_benchmark`, the same
#' on the benchmarked scale. The interval is the one of the table: the
#' sandwich interval, or with `se = "bootstrap"` the bootstrap percentile
#' interval (section Variance).
#'
#' @param w A `pa_weights` object from [attrition_weights()], with its
#'   stages.
#' @param outcome Name of an outcome column of the panel's data: numeric
#'   (means), logical or 0/1 (proportions), or a factor or character
#'   column with `category`.
#' @param alpha Numeric vector of tilts: log odds ratios of answering per
#'   unit of the outcome. Must include 0 (the weights' own, missing at
#'   random, estimate).
#' @param wave Waves to analyse; by default every wave after the first (after
#'   `from` for changes).
#' @param by Optional name of a grouping column.
#' @param conf_level Confidence level.
#' @param level Deprecated name of `conf_level`.
#' @param category For a factor or character outcome, the category whose
#'   proportion is analysed (such as `"employed"`).
#' @param from A wave: analyse the within-person change from `from` to each
#'   `wave` (numeric outcomes, monotone weights).
#' @param ref With `by`, analyse the difference of each group from group
#'   `ref`.
#' @param group_alpha Optional named vector of multipliers of `alpha` per
#'   group of `by` (a baseline covariate): group `g`'s dropout is tilted by
#'   `alpha * group_alpha[g]`; groups not named are not tilted.
#' @param null The value whose crossing changes the conclusion (0 by
#'   default for changes and differences); with it the tipping points are
#'   computed.
#' @param criterion `"interval"` (default) or `"estimate"`; see Tipping
#'   points.
#' @param benchmark `NULL` (the outcome's `_prev` history term), a term of
#'   the response models, or a number; see Benchmark.
#' @param se `"sandwich"`, `"bootstrap"` or `"jackknife"` (see Variance).
#' @param scale `"odds"`: the tilt multiplies the odds of answering.
#'   (`"probability"`, the one-step calibration of earlier versions, is no
#'   longer available.)
#' @param search Tipping points are searched for up to `search` times the
#'   largest `|alpha|` of the grid (at least 0.1) on either side.
#' @param tipping Whether to search for the tipping points (each point of
#'   the search refits the tilted stages; `FALSE` saves that time).
#' @param anchor `TRUE` (default) to anchor the curve on the input
#'   weights' estimate; `FALSE` for the tilted estimates themselves. The
#'   two differ only for `method = "firth"` weights (see Anchoring).
#' @param control With `se = "sandwich"`, `list(maxit, epsilon)` for the
#'   tilted stages; with `se = "bootstrap"`, a [boot_control()] object
#'   (by default `boot_control()`), and the tilted stages use the weights'
#'   own `maxit` and `epsilon`; with `se = "jackknife"`,
#'   `list(groups, seed, bias_correct)` (defaults 50, 1 and `TRUE`; see
#'   Variance).
#' @param min_n Rows with fewer respondents with a value (for
#'   proportions, fewer having or lacking the outcome) are suppressed,
#'   with complementary rows, as in [wave_means()] (section Small cells);
#'   a difference is suppressed when either group is.
#'
#' @return A data frame of class `pa_tilt` with columns `alpha`, `wave`,
#'   `group` (`"(all)"` without `by`; `"a - ref"` for differences),
#'   `estimate`, `std_error`, `conf_low`, `conf_high` (normal; on the
#'   logit scale for proportions), `n` (respondents with a value; for a
#'   difference the smaller group), `suppressed`, `benchmark` and
#'   `alpha_benchmark` (`alpha / benchmark`), and `from` for changes.
#'   Attributes: `mar` (the input weights' own wave means, or changes with
#'   `from`, for comparison),
#'   `tipping` (with `null`: one row per wave and group with `estimate`,
#'   `null`, `criterion`, `conclusion`, `tipping_alpha`, `direction`,
#'   `note`, `benchmark`, `tipping_benchmark`), `benchmark_term`, `kind`,
#'   `se`, `anchor`, with `se = "jackknife"` `jackknife` (`groups`, `seed`,
#'   `bias_correct`)
#'   and `replicates` (rows `g1`, `g2`, ...), and with `se = "bootstrap"`
#'   `bootstrap` (`B`, `type` and `seed` of the replicates), `replicates`
#'   (one row per replicate,
#'   named `b1`, `b2`, ..., one column per row of the table, `NA` for
#'   failed replicates and suppressed rows) and `failed` (the indices of
#'   the failed replicates).
#'
#' @references
#' Rotnitzky, A., Robins, J. M. and Scharfstein, D. O. (1998).
#' Semiparametric regression for repeated outcomes with nonignorable
#' nonresponse. *Journal of the American Statistical Association*, 93,
#' 1321-1339.
#'
#' Efron, B. and Stein, C. (1981). The jackknife estimate of variance.
#' *The Annals of Statistics*, 9, 586-596.
#'
#' Kott, P. S. (2001). The delete-a-group jackknife. *Journal of Official
#' Statistics*, 17, 521-526.
#'
#' Quenouille, M. H. (1956). Notes on bias in estimation. *Biometrika*,
#' 43, 353-360.
#'
#' Scharfstein, D. O., Rotnitzky, A. and Robins, J. M. (1999). Adjusting
#' for nonignorable drop-out using semiparametric nonresponse models.
#' *Journal of the American Statistical Association*, 94, 1096-1120.
#' @seealso [tipping_point()], [attrition_bounds()].
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' panel <- panel_data(read_waves(files, id = "id"), id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' # (some people came back after missing T2: one stage per wave from T1)
#' w <- attrition_weights(panel, ~ group + gender + age, monotone = FALSE)
#' tl <- tilt_sensitivity(w, "wellbeing", alpha = seq(-0.1, 0.1, by = 0.05),
#'                        null = 50)
#' tl
#' attr(tl, "tipping")
#' plot(tl)
#' tilt_sensitivity(w, "employment", alpha = c(-1, 0, 1), category = "employed",
#'                  wave = "T3")
#'
#' # monotone dropout with history: changes, differences, the benchmark
#' done <- increase_vs_frame[increase_vs_frame$completed, ]
#' iv <- panel_data(increase_vs, id = "id", wave = "wave", frame = done,
#'                  baseline = c("approach", "age"))
#' wi <- attrition_weights(iv, ~ approach + age, history = "mhc1")
#' ch <- tilt_sensitivity(wi, "mhc1", alpha = c(-0.5, 0, 0.5),
#'                        from = "T1", wave = "T2")
#' ch
#' attr(ch, "tipping")
tilt_sensitivity <- function(w, outcome, alpha, wave = NULL, by = NULL,
                             conf_level = 0.95, category = NULL,
                             from = NULL, ref = NULL, group_alpha = NULL,
                             null = NULL, criterion = NULL,
                             benchmark = NULL, se = "sandwich",
                             scale = "odds", search = 10, tipping = TRUE,
                             anchor = TRUE,
                             control = list(maxit = 100, epsilon = 1e-10),
                             min_n = getOption("panelattrition.min_n", 5),
                             level = NULL) {
  check_required("w", "outcome")
  check_weights_object(w)
  check_quoted(outcome, by)
  check_min_n(min_n)
  check_flag(tipping, "tipping")
  check_flag(anchor, "anchor")
  if (missing(alpha)) {
    pa_abort("`alpha` is missing: give the tilts to try, e.g. seq(-0.1, 0.1, 0.02).",
             class = "panelattrition_arg_error", argument = "alpha")
  }
  if (!is.numeric(alpha) || length(alpha) == 0L || anyNA(alpha) ||
      any(!is.finite(alpha))) {
    arg_error("alpha", "a numeric vector of finite tilts", alpha)
  }
  alpha <- sort(unique(as.double(alpha)))
  if (!any(alpha == 0)) {
    pa_abort(
      paste("`alpha` must include 0: at alpha = 0 the curve is the input",
            "weights' own (missing at random) estimate, which each row is",
            "read against. Add 0 to the grid."),
      class = "panelattrition_arg_error", argument = "alpha"
    )
  }
  scale <- match_choice(scale, c("odds", "probability"), "scale")
  if (scale == "probability") {
    pa_abort(
      paste("`scale = \"probability\"` is no longer available: the tilted",
            "stages are the weights' own response models with the outcome",
            "added on the logit scale (the odds of answering are",
            "multiplied by exp(alpha) per unit of the outcome). Use",
            "`scale = \"odds\"` (the default)."),
      class = "panelattrition_arg_error", argument = "scale"
    )
  }
  se <- match_choice(se, c("sandwich", "bootstrap", "jackknife"), "se")
  boot <- NULL
  jack <- NULL
  if (se == "jackknife") {
    jack <- check_jack_control(if (missing(control)) list() else control)
    if (!is.null(w$panel$design)) {
      pa_abort(
        paste("`se = \"jackknife\"` splits people into random groups, which",
              "ignores the sampling design of the panel; use",
              "`se = \"bootstrap\"` (Rao-Wu replicates of the PSUs) or the",
              "sandwich."),
        class = "panelattrition_arg_error", argument = "se"
      )
    }
    control <- w$control %||% list(maxit = 100, epsilon = 1e-10)
  } else if (se == "bootstrap") {
    boot <- if (missing(control)) boot_control() else control
    if (!inherits(boot, "pa_boot_control")) {
      pa_abort(
        paste("With `se = \"bootstrap\"`, `control` must be a",
              "boot_control() object (the number of replicates, seed and",
              "threads); the tilted stages then use the weights' own",
              "maxit and epsilon."),
        class = "panelattrition_arg_error", argument = "control"
      )
    }
    check_design_bootstrap(w)
    control <- w$control %||% list(maxit = 100, epsilon = 1e-10)
  } else if (inherits(control, "pa_boot_control")) {
    pa_abort(
      paste("A boot_control() object in `control` is for",
            "`se = \"bootstrap\"`; with `se = \"sandwich\"` `control` is",
            "list(maxit, epsilon) for the tilted stages."),
      class = "panelattrition_arg_error", argument = "control"
    )
  }
  if (!is.numeric(search) || length(search) != 1L || is.na(search) ||
      !is.finite(search) || search < 1) {
    arg_error("search", "a number of at least 1", search)
  }
  level <- resolve_conf_level(conf_level, level, "tilt_sensitivity")
  control <- check_control(control)
  inp <- sensitivity_inputs(w, outcome, wave, category, binary = FALSE)
  rows <- inp$rows
  yv <- inp$yv
  t_idx <- inp$t_idx
  waves <- w$panel$waves
  t0 <- NULL
  if (!is.null(from)) {
    check_wave(from, waves, "from")
    t0 <- match(from, waves)
    check_wave_answers(yv$values, rows, waves, t0, outcome, "outcome")
    if (yv$proportion) {
      pa_abort("`from` (a change) needs a numeric outcome, not a proportion.",
               class = "panelattrition_arg_error", argument = "from")
    }
    if (!isTRUE(w$monotone)) {
      pa_abort(
        paste("Tilted changes need weights with `monotone = TRUE`: under",
              "intermittent response a pair of waves is weighted by a model",
              "of answering both, which has no tilted form."),
        class = "panelattrition_arg_error", argument = "from"
      )
    }
    if (is.null(wave)) t_idx <- t_idx[t_idx > t0]
    if (!length(t_idx) || any(t_idx <= t0)) {
      pa_abort(sprintf("Every `wave` must be later than `from` (%s).", from),
               class = "panelattrition_arg_error", argument = "wave")
    }
  }
  if (!is.null(by) || !is.null(group_alpha) || !is.null(ref)) {
    if (is.null(by)) {
      pa_abort("`group_alpha` and `ref` need groups: give `by`.",
               class = "panelattrition_arg_error",
               argument = if (is.null(ref)) "group_alpha" else "ref")
    }
  }
  group <- group_values(w, by, rows)
  groups <- if (is.null(by)) "(all)" else as.character(sort_unique(group))
  group <- if (is.null(by)) rep("(all)", nrow(rows)) else as.character(group)
  if (!is.null(ref)) {
    if (!is.atomic(ref) || length(ref) != 1L || is.na(ref) ||
        !as.character(ref) %in% groups) {
      arg_error("ref", sprintf("one of the groups (%s)",
                               paste(groups, collapse = ", ")), ref)
    }
    ref <- as.character(ref)
  }
  mult <- tilt_group_multipliers(w, by, group_alpha, groups)
  check_tilt_stages(w, t_idx)

  spec <- list(rows = rows, values = yv$values, t_idx = t_idx, t0 = t0,
               group = group, groups = groups, ref = ref, mult = mult,
               y_mat = tilt_outcome_matrix(w, rows, yv$values),
               control = control, outcome = outcome, anchor = anchor)
  evaluator <- tilt_evaluator(w, spec)
  base_eval <- evaluator(0)
  z <- stats::qnorm(1 - (1 - level) / 2)

  # suppression: the same respondents at every alpha
  key <- base_eval$key
  supp <- tilt_suppression(base_eval, min_n, spec,
                           if (!is.null(category)) w$panel$data[[outcome]],
                           category)
  bar <- progress_start("Tilting", length(alpha))
  out <- lapply(alpha, function(a) {
    ev <- evaluator(a)
    progress_step(bar)
    data.frame(alpha = a, wave = waves[key$wave_index], group = key$group,
               estimate = ev$estimate, std_error = ev$std_error, n = key$n,
               stringsAsFactors = FALSE)
  })
  progress_end(bar)
  out <- do.call(rbind, out)
  if (any(is.infinite(out$estimate) | is.nan(out$estimate) |
          is.infinite(out$std_error) | is.nan(out$std_error))) {
    abort_nonfinite(outcome, "outcome")
  }
  out$suppressed <- rep(supp, length(alpha))
  for (v in c("estimate", "std_error", "n")) out[[v]][out$suppressed] <- NA
  out$n <- round_counts(out$n)
  lims <- if (yv$proportion && is.null(ref)) {
    proportion_interval(out$estimate, out$std_error, out$n, level, "logit")
  } else {
    cbind(out$estimate - z * out$std_error, out$estimate + z * out$std_error)
  }
  out$conf_low <- lims[, 1]
  out$conf_high <- lims[, 2]
  replicates <- NULL
  if (!is.null(boot)) {
    # bootstrap: SD of the replicates and percentile intervals (rows in
    # the order of `out`: alpha by alpha, the rows of `key` within each)
    bs <- tilt_bootstrap(w, spec, base_eval, alpha, boot)
    sm <- tilt_boot_summary(bs, level)
    keep <- !out$suppressed
    out$std_error[keep] <- sm$se[keep]
    out$conf_low <- ifelse(keep, sm$low, NA_real_)
    out$conf_high <- ifelse(keep, sm$high, NA_real_)
    replicates <- do.call(cbind, bs$replicates)
    replicates[, !keep] <- NA
    dimnames(replicates) <- list(paste0("b", bs$indices), NULL)
  }
  if (!is.null(jack)) {
    # delete-a-group jackknife: its standard errors, and intervals with
    # t quantiles on G - 1 degrees of freedom (logit intervals with normal
    # quantiles for proportions, as with the sandwich)
    bs <- tilt_jackknife(w, spec, base_eval, alpha, jack)
    keep <- !out$suppressed
    out$std_error[keep] <- tilt_jack_se(bs$replicates)[keep]
    # the jackknife's estimate of the bias of the tilt's shift, taken off
    # (nil at alpha = 0, where the estimate stays the input weights')
    reps0 <- bs$replicates[[which(alpha == 0)]]
    if (jack$bias_correct) {
      at0 <- (which(alpha == 0) - 1L) * nrow(key) + seq_len(nrow(key))
      out$estimate <- out$estimate -
        unlist(lapply(seq_along(alpha), function(i) {
          k <- (i - 1L) * nrow(key) + seq_len(nrow(key))
          tilt_jack_bias(bs$replicates[[i]], reps0,
                         out$estimate[k] - out$estimate[at0])
        }))
    }
    lims <- tilt_jack_interval(out$estimate, out$std_error, out$n, level,
                               yv$proportion && is.null(ref), jack$groups)
    out$conf_low <- ifelse(keep, lims[, 1], NA_real_)
    out$conf_high <- ifelse(keep, lims[, 2], NA_real_)
    replicates <- do.call(cbind, bs$replicates)
    replicates[, !keep] <- NA
    dimnames(replicates) <- list(paste0("g", bs$indices), NULL)
  }
  bm <- tilt_benchmark(w, benchmark, outcome, category, key$wave_index)
  out$benchmark <- rep(bm$value, length(alpha))
  out$alpha_benchmark <- out$alpha / out$benchmark
  if (!is.null(t0)) out$from <- waves[t0]
  ord <- order(match(out$wave, waves), match(out$group, unique(key$group)),
               out$alpha)
  out <- out[ord, , drop = FALSE]
  if (!is.null(replicates)) replicates <- replicates[, ord, drop = FALSE]
  out$wave <- factor(out$wave, levels = waves)
  out <- out[c("alpha", "wave", "group", "estimate", "std_error", "conf_low",
               "conf_high", "n", "suppressed", "benchmark", "alpha_benchmark",
               if (!is.null(t0)) "from")]
  rownames(out) <- NULL

  tips <- NULL
  if (tipping && (!is.null(null) || !is.null(t0) || !is.null(ref))) {
    # with the bootstrap the intervals searched are the bootstrap's: the
    # replicates at each alpha of the search, from the same draws
    boot_interval <- if (!is.null(jack)) {
      function(a) {
        ja <- jack_at(a)
        if (is.null(ja)) return(NULL)
        lims <- tilt_jack_interval(ja$estimate, ja$se, key$n,
                                   level, yv$proportion && is.null(ref),
                                   jack$groups)
        list(low = lims[, 1], high = lims[, 2])
      }
    } else if (!is.null(boot)) {
      function(a) {
        # a point of the grid: the table's own intervals (rows alpha by
        # alpha in the order of `key`, as tilt_boot_summary() gave them)
        at <- match(a, alpha)
        if (!is.na(at)) {
          k <- (at - 1L) * nrow(key) + seq_len(nrow(key))
          return(list(low = sm$low[k], high = sm$high[k]))
        }
        tilt_boot_interval(bs$setup, a, bs$failures$replicate, level)
      }
    }
    tip_evaluator <- evaluator
    if (!is.null(jack)) {
      # the jackknife's estimate (bias-corrected unless asked not to) and
      # standard error at any alpha: a point of the grid from the table, or
      # every replicate refitted at alpha (failed ones left out)
      jack_memo <- new.env(hash = TRUE)
      jack_at <- function(a) {
        id <- sprintf("%.17g", a)
        if (exists(id, envir = jack_memo, inherits = FALSE)) {
          return(get(id, envir = jack_memo, inherits = FALSE))
        }
        res <- if (any(alpha == a)) {
          at <- match(paste(a, key$wave_index, key$group),
                      paste(out$alpha, match(out$wave, waves), out$group))
          list(estimate = out$estimate[at], se = out$std_error[at])
        } else {
          reps <- tilt_boot_replicates(bs$setup, a,
                                       which(bs$indices %in%
                                               bs$failures$replicate),
                                       progress = FALSE)
          if (length(reps$failures)) NULL else {
            est <- evaluator(a)$estimate
            if (jack$bias_correct) {
              est <- est - tilt_jack_bias(reps$replicates[[1L]], reps0,
                                          est - evaluator(0)$estimate)
            }
            list(estimate = est, se = tilt_jack_se(reps$replicates))
          }
        }
        assign(id, res, envir = jack_memo)
        res
      }
      tip_evaluator <- function(a) {
        ev <- evaluator(a)
        ja <- jack_at(a)
        if (is.null(ja)) {
          pa_abort("A jackknife replicate could not be refitted.",
                   class = "panelattrition_nonfinite_error")
        }
        ev$estimate <- ja$estimate
        ev$std_error <- ja$se
        ev
      }
    }
    tips <- tilt_tipping(tip_evaluator, key, supp, null %||% 0, criterion,
                         search * max(c(abs(alpha), 0.1)), level,
                         yv$proportion && is.null(ref), waves, bm,
                         boot_interval)
  }
  mar <- tilt_mar_reference(w, outcome, by, level, category, waves[t_idx],
                            min_n, if (!is.null(t0)) waves[t0])
  structure(out, class = c("pa_tilt", "data.frame"), mar = mar,
            outcome = yv$label, by = by, scale = scale, conf_level = level,
            proportion = yv$proportion, method = w$method,
            tipping = tips, benchmark_term = bm$term,
            kind = if (!is.null(ref)) "differences" else if (!is.null(t0))
              "panel_change" else "wave_means",
            group_alpha = group_alpha, se = se, replicates = replicates,
            failed = if (!is.null(boot) || !is.null(jack)) {
              bs$failures$replicate
            },
            jackknife = jack,
            anchor = anchor,
            bootstrap = if (!is.null(boot)) {
              list(B = length(bs$indices), type = bs$setup$type,
                   seed = boot$seed)
            })
}

# Multipliers of alpha per person (baseline groups), or NULL for one alpha.
tilt_group_multipliers <- function(w, by, group_alpha, groups) {
  if (is.null(group_alpha)) return(NULL)
  if (!by %in% names(w$panel$baseline)) {
    pa_abort(
      sprintf(paste("`group_alpha` needs the groups of the people who",
                    "dropped out, so `%s` must be a baseline covariate",
                    "(named in panel_data(baseline = ))."), by),
      class = "panelattrition_arg_error", argument = "by"
    )
  }
  if (!is.numeric(group_alpha) || length(group_alpha) == 0L ||
      anyNA(group_alpha) || any(!is.finite(group_alpha)) ||
      is.null(names(group_alpha)) || any(names(group_alpha) == "") ||
      anyDuplicated(names(group_alpha))) {
    arg_error("group_alpha",
              "a named numeric vector of multipliers, one per group",
              group_alpha)
  }
  unknown <- setdiff(names(group_alpha), groups)
  if (length(unknown)) {
    pa_abort(
      sprintf("`group_alpha` names %s, not %s of `%s`. The groups are %s.",
              format_names(unknown),
              if (length(unknown) == 1L) "a group" else "groups", by,
              format_names(groups)),
      class = "panelattrition_arg_error", argument = "group_alpha",
      groups = unknown
    )
  }
  g <- as.character(w$panel$baseline[[by]])
  m <- unname(group_alpha[g])
  m[is.na(m)] <- 0
  m
}

# Every wave analysed needs the stages that made its weights, with their
# design matrices: a weights object without them (edited, or made by an
# older version) cannot be tilted.
check_tilt_stages <- function(w, t_idx) {
  stages <- c(w$stages, w$complete_stages)
  have <- vapply(stages, function(st) st$wave_index, integer(1))
  last <- max(t_idx)
  need <- seq_len(last)[-1L]
  lacking <- setdiff(need, have)
  no_x <- vapply(w$stages, function(st) {
    st$wave_index %in% need && is.null(st$x)
  }, logical(1))
  if (length(lacking) || any(no_x) || !is.matrix(w$weights)) {
    pa_abort(
      sprintf(paste("`w` lacks the weighting stages tilting needs (%s): the",
                    "tilted stages are refits of the weights' own stages.",
                    "Pass the weights as attrition_weights() returned them."),
              paste(w$panel$waves[c(lacking, need[no_x])], collapse = ", ")),
      class = c("panelattrition_weights_error", "panelattrition_arg_error"),
      argument = "w"
    )
  }
  invisible()
}

# The outcome as a people x waves matrix (NA where not answered or no
# value).
tilt_outcome_matrix <- function(w, rows, values) {
  y <- matrix(NA_real_, nrow(w$weights), ncol(w$weights))
  y[cbind(rows$person, rows$wave)] <- values
  y
}

# A tilted stage: the stage `st0` of the weights refitted with the outcome
# at its wave in the response model with the fixed coefficient alpha_i
# (registry entry `tilted` in stages.R). `ctx` holds `y` (the outcome at
# the stage's wave, one per person), `alpha` (one per person) and
# `control`; `start` is everyone's start weights (the previous wave's
# tilted weights under monotone dropout, the base weights otherwise).
# Respondents without a value of the outcome (item nonresponse) get the
# start-weighted mean of the respondents' values in the tilt term. The
# equations are chosen so that alpha = 0 gives back the stage's own
# solution exactly (tilted_response(), tilted_calibration()).
tilted_stage <- function(st0, start, ctx) {
  risk <- st0$risk
  r <- unname(st0$responded)
  s <- start[risk]
  yr <- ctx$y[risk][r]
  if (anyNA(yr)) {
    known <- !is.na(yr)
    yr[!known] <- if (any(known)) sum(s[r][known] * yr[known]) /
      sum(s[r][known]) else 0
  }
  off <- ctx$alpha[risk][r] * yr
  fit <- if (identical(st0$type, "calibrate")) {
    tilted_calibration(st0, s, r, off, ctx)
  } else {
    tilted_response(st0, r, off, ctx)
  }
  if (!fit$converged || any(!is.finite(fit$g))) {
    pa_abort(
      sprintf(paste("The tilted response model at %s (alpha = %s) did not",
                    "converge: alpha times the spread of `%s` is too large",
                    "for the people at risk, or a category of the weights'",
                    "covariates has nobody who dropped out. Use smaller",
                    "`alpha` or rescale the outcome."),
              st0$label, format(signif(max(abs(ctx$alpha[risk][r])), 4)),
              ctx$outcome),
      class = c("panelattrition_nonfinite_error", "panelattrition_arg_error"),
      argument = "alpha", variables = ctx$outcome
    )
  }
  calibration <- identical(st0$type, "calibrate")
  list(
    stage = st0$stage, wave = st0$wave, wave_index = st0$wave_index,
    label = sprintf("%s (tilted)", st0$label), type = "tilted",
    formula = st0$formula, risk = risk, responded = st0$responded,
    x = st0$x, base = st0$base,
    # the weights of the estimating functions: the start weights of a
    # calibration; c_i pihat_i of a response model (see tilted_response())
    start = if (calibration) s else fit$instrument,
    target = if (calibration) st0$target else "instrument",
    fit = fit, respondents = st0$respondents, weight = s[r] * fit$g
  )
}

# A response-model stage (logit or Firth, fitted with prior weights c_i,
# the base weights, and fitted probabilities pihat_i) tilted: gamma solves
#   sum_i c_i pihat_i (R_i / pi_i - 1) x_i = 0,
#   logit pi_i = x_i'gamma + alpha_i y_i,
# over the people at risk. These are unbiased estimating equations of the
# tilted model whatever the instruments c_i pihat_i x_i (functions of the
# observed past only), since E[R / pi - 1 | past, y] = 0 under it; and at
# alpha = 0 they are the maximum likelihood score sum_i c_i (R_i -
# pihat_i) x_i, so gamma is the stage's own estimate and the weights are
# the input's exactly (for Firth's penalised fit up to O(1/n), which the
# anchor removes). `ml` keeps what the sandwich needs for the dependence
# of the instruments on the stage's own coefficients.
tilted_response <- function(st0, r, off, ctx) {
  x <- st0$x
  p_hat <- st0$fit$fitted
  v <- st0$base * p_hat
  xr <- x[r, , drop = FALSE]
  vr <- v[r]
  rhs <- colSums(x[!r, , drop = FALSE] * v[!r])
  gamma <- as.double(st0$fit$coefficients)
  # gamma minimises the convex Q = sum_resp v exp(-eta) + sum_nonresp v
  # x'gamma, whose gradient is -U; Newton steps, halved while Q rises
  objective <- function(e, g) sum(vr * e) + sum(rhs * g)
  e <- exp(-drop(xr %*% gamma) - off)
  q_old <- objective(e, gamma)
  scale_u <- sum(v)
  # at alpha = 0 the stage's maximum likelihood estimate is the root
  converged <- identical(st0$type, "logit") && all(off == 0)
  it <- 0L
  while (!converged && it < ctx$control$maxit) {
    it <- it + 1L
    if (any(!is.finite(e))) break
    u <- colSums(xr * (vr * e)) - rhs
    if (max(abs(u)) / scale_u < ctx$control$epsilon) {
      converged <- TRUE
      break
    }
    step <- tryCatch(solve(crossprod(xr, xr * (vr * e)), u),
                     error = function(err) NULL)
    if (is.null(step)) break
    for (half in 0:30) {
      g_new <- gamma + step
      e_new <- exp(-drop(xr %*% g_new) - off)
      q_new <- objective(e_new, g_new)
      if (is.finite(q_new) && q_new <= q_old + 1e-12 * abs(q_old)) break
      step <- step / 2
    }
    gamma <- g_new
    e <- e_new
    q_old <- q_new
  }
  names(gamma) <- colnames(x)
  g_all <- numeric(length(r))
  g_all[r] <- 1 + e
  list(coefficients = gamma, g = 1 + e,
       jacobian = -crossprod(xr, xr * (vr * e)),
       converged = converged, iterations = it, instrument = v,
       # dU/dtheta of the stage's own coefficients theta, through pihat
       ml = list(residuals = st0$fit$residuals, vcov = st0$fit$vcov,
                 chain = xt_a(x, x * ((g_all - 1) * st0$base * p_hat *
                                        (1 - p_hat)))))
}

# A calibration stage tilted within its own calibration function F: the
# respondents' weights s_i F(x_i'lambda - alpha_i y_i) reproduce the
# stage's totals (the start-weighted totals of the people at risk, now of
# the tilted start weights). At alpha = 0 that is the calibration itself;
# the implied response probability is 1 / F(x'lambda - alpha y), a logistic
# model for calfun = "kott" (F = 1 + exp), other forms for raking (exp),
# linear (1 + u) and bounded logit calibration.
tilted_calibration <- function(st0, s, r, off, ctx) {
  x <- st0$x
  xr <- x[r, , drop = FALSE]
  sr <- s[r]
  totals <- if (identical(st0$target, "margins")) st0$totals else
    colSums(x * s)
  calfun <- st0$fit$calfun
  bounds <- st0$fit$bounds
  lambda <- as.double(st0$fit$lambda)
  gf <- function(lam) tilt_calfun(calfun, bounds, drop(xr %*% lam) - off)
  val <- gf(lambda)
  resid <- function(val) colSums(xr * (sr * val$g)) - totals
  u <- resid(val)
  scale_u <- sum(s)
  converged <- FALSE
  it <- 0L
  while (it < ctx$control$maxit) {
    if (any(!is.finite(val$g))) break
    if (max(abs(u)) / scale_u < ctx$control$epsilon) {
      converged <- TRUE
      break
    }
    it <- it + 1L
    step <- tryCatch(solve(crossprod(xr, xr * (sr * val$dg)), u),
                     error = function(err) NULL)
    if (is.null(step)) break
    size <- sum(u^2)
    for (half in 0:30) {
      l_new <- lambda - step
      v_new <- gf(l_new)
      u_new <- resid(v_new)
      if (all(is.finite(u_new)) && sum(u_new^2) <= size) break
      step <- step / 2
    }
    lambda <- l_new
    val <- v_new
    u <- u_new
  }
  names(lambda) <- colnames(x)
  list(lambda = lambda, g = val$g, calfun = calfun, bounds = bounds,
       jacobian = crossprod(xr, xr * (sr * val$dg)),
       converged = converged, iterations = it)
}

# F(u) and F'(u) of a calibration function (as src/calibrate.c computes
# them, bounds included).
tilt_calfun <- function(calfun, bounds, u) {
  lo <- if (length(bounds) == 2L) bounds[1] else -Inf
  hi <- if (length(bounds) == 2L) bounds[2] else Inf
  clamp <- function(g, dg) {
    dg[g <= lo | g >= hi] <- 0
    list(g = pmin(pmax(g, lo), hi), dg = dg)
  }
  switch(calfun,
    linear = clamp(1 + u, rep(1, length(u))),
    raking = clamp(exp(u), exp(u)),
    kott = list(g = 1 + exp(u), dg = exp(u)),
    logit = {
      a <- hi - 1
      b <- 1 - lo
      span <- hi - lo
      big_a <- span / (a * b)
      z <- big_a * u + log(b / a)
      e <- exp(-abs(z))
      frac <- e / (1 + e)
      list(g = ifelse(z >= 0, hi - span * frac, lo + span * frac),
           dg = span * big_a * e / (1 + e)^2)
    }
  )
}

# A copy of `w` whose stages after the first wave are tilted (one per
# dropout stage, the same people at risk and design, each started from the
# previous wave's tilted weights under monotone dropout, from the base
# weights otherwise) and whose weights are the tilted ones, stabilised as
# `w`'s were. Stage 0 of a frame (nonresponse to the first wave) and the
# numerator models of stabilised weights are kept as they are; trimming is
# not applied to the tilted weights. `alpha` is one per person.
tilted_weights <- function(w, y_mat, alpha, control, outcome) {
  n_wave <- ncol(w$weights)
  stab <- w$stabilizing %||% matrix(1, nrow(w$weights), n_wave)
  weights <- matrix(NA_real_, nrow(w$weights), n_wave,
                    dimnames = dimnames(w$weights))
  weights[, 1] <- w$weights[, 1] / stab[, 1]
  by_wave <- list()
  for (st in w$stages) by_wave[[st$wave_index]] <- st
  complete <- list()
  for (st in w$complete_stages) complete[[st$wave_index]] <- st
  d <- w$base_weights
  ctx <- list(alpha = alpha, control = control, outcome = outcome)
  stages <- Filter(function(st) st$wave_index == 1L, w$stages)
  for (t in seq_len(n_wave)[-1L]) {
    source <- if (isTRUE(w$monotone)) weights[, t - 1] else d
    st0 <- if (t <= length(by_wave)) by_wave[[t]]
    if (is.null(st0)) {
      cs <- complete[[t]]
      if (is.null(cs)) next
      weights[cs$respondents, t] <- source[cs$respondents]
      next
    }
    ctx$y <- y_mat[, t]
    st <- stage_kinds$tilted$fit(ctx, st0, source)
    stages[[length(stages) + 1L]] <- st
    weights[st$respondents, t] <- stage_kinds$tilted$weights(st, source)
  }
  weights <- weights * stab
  w$weights <- weights
  w$stages <- stages
  w$trim <- NULL
  w$cap <- NULL
  w$tilted <- TRUE
  w
}

# The cells analysed (a mean or proportion per wave and group, or a change
# from wave t0), for mean_cells() and solve_cells().
tilt_cells <- function(spec) {
  rows <- spec$rows
  if (is.null(spec$t0)) {
    grp <- if (identical(spec$groups, "(all)")) rep(NA, nrow(rows)) else spec$group
    cells <- mean_cells(spec$values, spec$outcome, rows, grp)
    cells <- cells[cells$wave_index %in% spec$t_idx, , drop = FALSE]
    return(list(cells = cells, rows = rows))
  }
  n <- max(rows$person)
  delta <- spec$y_mat[, spec$t_idx, drop = FALSE] - spec$y_mat[, spec$t0]
  parts <- list()
  for (j in seq_along(spec$t_idx)) {
    t1 <- spec$t_idx[j]
    later <- rows$wave == t1 & !is.na(delta[rows$person, j])
    parts[[j]] <- list(later = later, values = ifelse(later,
                       delta[rows$person, j], NA_real_))
  }
  values <- rep(NA_real_, nrow(rows))
  for (p in parts) values[p$later] <- p$values[p$later]
  grp <- if (identical(spec$groups, "(all)")) rep(NA, nrow(rows)) else spec$group
  cells <- mean_cells(values, spec$outcome, rows, grp)
  cells <- cells[cells$wave_index %in% spec$t_idx, , drop = FALSE]
  list(cells = cells, rows = rows)
}

# A function of alpha giving every row's estimate, standard error and
# influence values, anchored on the input weights:
# mu_w + (mu(alpha) - mu(0)), with influence values IF_w + (IF_alpha -
# IF_0), so that alpha = 0 gives the input weights' estimates and standard
# errors exactly. The tilted stages at alpha = 0 are the weights' own
# stages, so the anchor changes nothing (to rounding) except for Firth's
# penalised fits. Evaluations are remembered.
tilt_evaluator <- function(w, spec) {
  cl <- tilt_cells(spec)
  cells <- cl$cells
  rows <- cl$rows
  one <- function(ww) {
    est <- solve_cells(ww, cells, rows, "sandwich")
    list(estimate = est$estimate, influence = est$influence, n = est$n,
         people = est$people)
  }
  own <- one(w)
  n <- nrow(w$weights)
  alpha_of <- function(a) {
    if (is.null(spec$mult)) rep(a, n) else a * spec$mult
  }
  zero <- one(tilted_weights(w, spec$y_mat, alpha_of(0), spec$control,
                             spec$outcome))
  groups <- if (all(is.na(cells$group))) rep("(all)", nrow(cells)) else
    as.character(cells$group)
  # contrasts: each group against `ref`, wave by wave
  contrast <- NULL
  key <- data.frame(wave_index = cells$wave_index, group = groups,
                    n = own$n, stringsAsFactors = FALSE)
  key$cells <- I(as.list(seq_len(nrow(cells))))
  if (!is.null(spec$ref)) {
    ks <- which(groups != spec$ref)
    rk <- match(paste(cells$wave_index[ks], spec$ref),
                paste(cells$wave_index, groups))
    contrast <- matrix(0, nrow(cells), length(ks))
    contrast[cbind(ks, seq_along(ks))] <- 1
    contrast[cbind(rk, seq_along(ks))] <- -1
    key <- data.frame(wave_index = cells$wave_index[ks],
                      group = paste(groups[ks], "-", spec$ref),
                      n = pmin(own$n[ks], own$n[rk]),
                      stringsAsFactors = FALSE)
    key$cells <- I(Map(c, ks, rk))
  }
  memo <- new.env(hash = TRUE)
  evaluate <- function(a) {
    id <- sprintf("%.17g", a)
    if (!is.null(memo[[id]])) return(memo[[id]])
    tilted <- if (a == 0 && is.null(spec$mult)) zero else {
      one(tilted_weights(w, spec$y_mat, alpha_of(a), spec$control,
                         spec$outcome))
    }
    if (isFALSE(spec$anchor)) {
      est <- tilted$estimate
      infl <- tilted$influence
    } else {
      est <- own$estimate + (tilted$estimate - zero$estimate)
      infl <- own$influence + (tilted$influence - zero$influence)
    }
    if (!is.null(contrast)) {
      est <- drop(est %*% contrast)
      infl <- infl %*% contrast
    }
    # the sampling design of the panel's people, if any
    v <- influence_vcov(infl, w$panel$design, own$people)
    res <- list(estimate = unname(est), std_error = sqrt(pmax(diag(v), 0)),
                influence = infl, key = key, cells = cells,
                contrast = contrast)
    memo[[id]] <- res
    res
  }
  evaluate
}

# Which rows are suppressed (the same at every alpha): the cells as
# wave_means() would suppress them; a contrast when either group is.
# A category of a factor is suppressed as wave_means() suppresses it among
# all the categories (complementary suppression across levels).
tilt_suppression <- function(ev, min_n, spec, raw, category) {
  cells <- ev$cells
  s <- suppress_cells(cells, lengths(cells$members), min_n)
  supp <- s$suppressed
  if (!is.null(raw) && is.null(spec$t0)) {
    grp <- if (identical(spec$groups, "(all)")) rep(NA, nrow(spec$rows)) else
      spec$group
    full <- mean_cells(raw, spec$outcome, spec$rows, grp)
    sf <- suppress_cells(full, lengths(full$members), min_n)
    mine <- full$level == category
    at <- match(paste(cells$wave_index, cells$group),
                paste(full$wave_index[mine], full$group[mine]))
    supp <- supp | sf$suppressed[mine][at]
    s <- sf
  }
  suppression_message(s$primary, s$suppressed, min_n)
  vapply(ev$key$cells, function(k) any(supp[k]), logical(1))
}

# The benchmark of alpha per row (its wave): the fitted effect of the last
# observed outcome on response in the weights' stage at that wave (a
# response model's coefficient of the `_prev` history term; minus the
# calibration coefficient for calfun = "kott"), another term of the
# response models named by `benchmark`, or a number given as `benchmark`.
tilt_benchmark <- function(w, benchmark, outcome, category, wave_index) {
  if (is.numeric(benchmark)) {
    if (length(benchmark) != 1L || is.na(benchmark) ||
        !is.finite(benchmark) || benchmark == 0) {
      arg_error("benchmark", "a term of the response models or a non-zero number",
                benchmark)
    }
    return(list(value = rep(benchmark, length(wave_index)),
                term = "(given)"))
  }
  coefs <- lapply(seq_len(max(c(wave_index, 1L))), function(t) {
    st <- Filter(function(s) s$wave_index == t, w$stages)
    if (!length(st)) return(NULL)
    st <- st[[1L]]
    if (st$type %in% c("logit", "firth")) return(st$fit$coefficients)
    if (identical(st$fit$calfun, "kott")) return(-st$fit$lambda)
    NULL
  })
  terms <- as.character(unique(unlist(lapply(coefs, names))))
  if (is.null(benchmark)) {
    cand <- terms[startsWith(terms, paste0(outcome, "_prev"))]
    if (!is.null(category) && length(cand) > 1L) {
      cand <- cand[endsWith(cand, category)]
    }
    if (length(cand) != 1L) {
      return(list(value = rep(NA_real_, length(wave_index)), term = NA_character_))
    }
    term <- cand
  } else {
    if (!is.character(benchmark) || length(benchmark) != 1L ||
        is.na(benchmark) || !benchmark %in% terms) {
      arg_error("benchmark",
                sprintf(paste("a term of the weights' response models (%s)",
                              "or a non-zero number"),
                        format_names(terms)), benchmark)
    }
    term <- benchmark
  }
  value <- vapply(wave_index, function(t) {
    cf <- if (t <= length(coefs)) coefs[[t]]
    if (is.null(cf) || !term %in% names(cf)) NA_real_ else unname(cf[[term]])
  }, numeric(1))
  list(value = value, term = term)
}

# Tipping points in alpha: the alpha nearest zero at which the row's
# conclusion changes (tipping_row() of tipping.R, with the root found by
# uniroot() on the continuous function of alpha), and on the benchmarked
# scale.
tilt_tipping <- function(evaluator, key, supp, null, criterion, limit,
                         level, proportion, waves, bm, boot_interval = NULL) {
  n_rows <- nrow(key)
  null <- rep_len(as.double(null), n_rows)
  if (anyNA(null) || any(!is.finite(null))) {
    arg_error("null", "finite numbers, one or one per row", null)
  }
  criterion <- if (is.null(criterion)) "interval" else
    match_choice(criterion, c("interval", "estimate"), "criterion")
  z <- stats::qnorm(1 - (1 - level) / 2)
  # bootstrap percentile intervals (criterion "interval" only: the
  # estimate itself does not depend on the variance), remembered by alpha
  # since every row is read from the same replicates
  on_boot <- !is.null(boot_interval) && criterion == "interval"
  boot_memo <- new.env(hash = TRUE)
  boot_at <- function(a) {
    id <- sprintf("%.17g", a)
    if (!exists(id, envir = boot_memo, inherits = FALSE)) {
      res <- tryCatch(boot_interval(a),
                      panelattrition_nonfinite_error = function(e) NULL)
      assign(id, res, envir = boot_memo)
    }
    get(id, envir = boot_memo, inherits = FALSE)
  }
  tips <- lapply(seq_len(n_rows), function(k) {
    evaluate <- function(a) {
      none <- rep(NA_real_, if (on_boot) 3L else 2L)
      if (supp[k]) return(none)
      # a tilt too strong for the tilted stages to be solved ends the
      # search on that side (no tipping point up to there)
      ev <- tryCatch(evaluator(a),
                     panelattrition_nonfinite_error = function(e) NULL)
      if (is.null(ev)) return(none)
      if (!on_boot) return(c(ev$estimate[k], ev$std_error[k]))
      bi <- boot_at(a)
      if (is.null(bi)) return(none)
      c(ev$estimate[k], bi$low[k], bi$high[k])
    }
    interval <- function(es) {
      if (anyNA(es)) return(c(NA_real_, NA_real_))
      if (on_boot) return(es[2:3])
      if (proportion) {
        drop(proportion_interval(es[1], es[2], key$n[k], level, "logit"))
      } else {
        es[1] + c(-1, 1) * z * es[2]
      }
    }
    tipping_row(evaluate, interval, null[k], criterion, limit)
  })
  out <- cbind(data.frame(wave = factor(waves[key$wave_index], levels = waves),
                          group = key$group, stringsAsFactors = FALSE),
               do.call(rbind, tips))
  names(out)[names(out) == "tipping_delta"] <- "tipping_alpha"
  out$note <- gsub("delta", "alpha", out$note, fixed = TRUE)
  out$benchmark <- bm$value
  out$tipping_benchmark <- out$tipping_alpha / out$benchmark
  rownames(out) <- NULL
  out
}

# The input weights' own estimates of the analysed waves (means, or
# changes from `from`), for print().
tilt_mar_reference <- function(w, outcome, by, level, category, waves,
                               min_n, from = NULL) {
  est <- tryCatch(
    suppressMessages(if (is.null(from)) {
      wave_means(w, outcome, by = by, conf_level = level, min_n = min_n)
    } else {
      do.call(rbind, lapply(waves, function(to) {
        as.data.frame(panel_change(w, outcome, from = from, to = to,
                                   by = by, conf_level = level,
                                   min_n = min_n))
      }))
    }),
    panelattrition_error = function(e) NULL
  )
  if (is.null(est)) return(NULL)
  df <- as.data.frame(est)
  keep <- as.character(df$wave) %in% waves
  if (!is.null(category)) keep <- keep & df$level %in% category
  df <- df[keep, , drop = FALSE]
  out <- data.frame(
    wave = df$wave,
    group = if (is.null(by)) "(all)" else as.character(df[[by]]),
    estimate = df$estimate, std_error = df$std_error,
    conf_low = df$conf_low, conf_high = df$conf_high,
    stringsAsFactors = FALSE
  )
  rownames(out) <- NULL
  out
}
