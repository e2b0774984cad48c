# Attrition-weighted GEE: longitudinal regression on the panel's answers,
# each answer weighted by its person's attrition weight at that wave, with
# people as clusters. The numerics are in C (src/gee.c); this file checks
# the arguments, builds the model matrix and the clusters, and turns the
# kernel's estimating-function contributions into variances with the
# stacked sandwich of variance.R. Weighted correlated fits run on complete
# clusters (every wave for every person, weight 0 where unanswered) for
# Robins, Rotnitzky and Zhao's equations; see gee_grid().

#' Attrition-weighted generalised estimating equations
#'
#' Fits a marginal regression model for repeated outcomes by generalised
#' estimating equations (Liang and Zeger, 1986) in which every answer is
#' weighted by the answering person's attrition weight at that wave
#' (Robins, Rotnitzky and Zhao, 1995), in a form that stays consistent
#' under MAR dropout for every working correlation (see Model). The data
#' are the panel's long data
#' (`weights$panel$data`): one row per person and wave answered, people are
#' the clusters, and rows are ordered by wave within people.
#'
#' @section Model:
#' Write \eqn{\mu_{it}} for the mean of person \eqn{i} at wave \eqn{t},
#' \eqn{A_i} for the diagonal matrix of variance-function values,
#' \eqn{D_i = \partial\mu_i/\partial\beta}, \eqn{R_i(\alpha)} for the
#' working correlation, \eqn{R_{it}} for the indicator that \eqn{i}
#' answered wave \eqn{t} and \eqn{w_{it}} for the attrition weight there.
#'
#' *Independence* (the default): the coefficients solve the weighted GLM
#' score \eqn{\sum_i \sum_t R_{it} w_{it} D_{it}' v_{it}^{-1} (y_{it} - \mu_{it}) = 0},
#' so the estimates are those of `glm(..., weights = w)` and of
#' `geeglm(..., weights = w, corstr = "independence")`.
#'
#' *Exchangeable or AR(1) with attrition weights*: the coefficients solve
#' the estimating equations of Robins, Rotnitzky and Zhao (1995),
#' \deqn{\sum_i D_i' A_i^{-1/2} R_i(\alpha)^{-1} A_i^{-1/2}
#'   \mathrm{diag}(R_{it} w_{it}) (y_i - \mu_i) = 0,}{sum_i D_i' A_i^(-1/2)
#'   R_i(alpha)^(-1) A_i^(-1/2) diag(R_it w_it) (y_i - mu_i) = 0,}
#' where \eqn{D_i}, \eqn{A_i} and \eqn{R_i} run over *every* wave of the
#' panel that anybody answered, including the waves person \eqn{i} did not
#' answer (whose residuals are multiplied by \eqn{R_{it} = 0}). Because the
#' weights multiply the residuals only, \eqn{E[R_{it} w_{it} \mid
#' \mathrm{full\ data}] = 1}{E[R_it w_it | full data] = 1} (up to the
#' weights' stabilising constants) makes the equations unbiased under MAR
#' for any working correlation. The model-matrix rows at unanswered waves
#' are built from the wave and the person's baseline covariates, so with
#' attrition weights a correlated structure accepts only formulas whose
#' variables are the wave and baseline covariates (a column of the
#' panel's data is accepted if it equals the person's baseline value at
#' every answer); any other variable is refused with a
#' `panelattrition_time_varying_error`. (geepack's `geeglm(weights = )`
#' puts \eqn{W_i^{1/2}} on both sides of \eqn{R_i^{-1}} over the answers
#' only; its cross-wave terms do not have mean zero under MAR dropout and
#' it is biased then.) For a Gaussian model whose terms are functions of
#' the wave and baseline covariates, the exchangeable solution equals the
#' independence one; AR(1) and other families differ slightly.
#'
#' *Exchangeable or AR(1) without weights* (every weight 1, as when nobody
#' dropped out): the usual GEE of Liang and Zeger over each person's
#' answers, as `geeglm()` computes it (valid under MCAR). When nobody
#' missed a wave the two forms are the same.
#'
#' The scale and the correlation are weighted moment estimators, with
#' Pearson residuals \eqn{r} and \eqn{e = r / \phi^{1/2}}, over answers only:
#' * scale \eqn{\phi = \sum R_{it} w_{it} r_{it}^2 / \sum R_{it} w_{it}}
#'   (no degrees-of-freedom correction; estimated for every family);
#' * `"exchangeable"`: \eqn{\alpha = \sum c_{i,st} e_{is} e_{it} / \sum c_{i,st}}
#'   over the pairs of waves \eqn{s < t} that person \eqn{i} answered;
#' * `"ar1"`: \eqn{\mathrm{corr}(y_s, y_t) = \alpha^{|s - t|}}{corr(y_s, y_t) = alpha^|s - t|}
#'   with \eqn{s, t} the waves' positions in the panel (gaps count), and
#'   \eqn{\alpha} solving \eqn{\sum c_{i,st} E_{st} (e_{is} e_{it} - \alpha^{d_{st}}) = 0},
#'   \eqn{d_{st} = |s - t|}, \eqn{E_{st} = d\alpha^{d_{st}}/d\alpha}, by
#'   Gauss-Newton steps.
#'
#' The pair weight \eqn{c_{i,st}} makes the moments consistent under MAR:
#' with monotone weights it is the later wave's weight \eqn{w_{it}} (both
#' waves are answered exactly when the later one is); with
#' `monotone = FALSE` weights it is \eqn{w_{is} w_{it} / d_i}, \eqn{d_i} the
#' base weight (response at the two waves independent given the baseline
#' covariates, the assumption of those weights); without weights it is 1
#' (geepack's \eqn{w_s w_t}). Any estimator with a fixed limit keeps the
#' coefficients consistent; these estimate the full-data correlation.
#'
#' The fit first solves the independence equations (the weighted GLM, by
#' Fisher scoring from glm's starting values). For a correlated working
#' structure it then looks for the value of \eqn{\alpha} that reproduces
#' itself: the coefficients are solved at \eqn{\alpha}, the scale and the
#' correlation re-estimated from them, and \eqn{\alpha} moved by secant steps
#' until the re-estimate equals it and the coefficients no longer change
#' (the largest change in a coefficient, relative to \eqn{\max(|\beta|, 1)},
#' and the change in \eqn{\alpha} below `control$epsilon`).
#'
#' Checks (classed errors, no silent fallback):
#' * an estimate of \eqn{\alpha} at or beyond the limits where the working
#'   correlation is positive definite (\eqn{-1/(T - 1) < \alpha < 1} for
#'   exchangeable over \eqn{T} waves, \eqn{|\alpha| < 1} for AR(1)) is a
#'   `panelattrition_correlation_error`;
#' * with attrition weights, the correlated fit must reproduce the
#'   independence fit on the same weights: both are consistent for the
#'   same coefficients when the mean model is right, so their difference
#'   is tested with its variance from the difference of the two fits'
#'   influence values (a Hausman-type chi-square, on the rank of that
#'   variance). A p-value below \eqn{10^{-6}} is a
#'   `panelattrition_gee_check_error`: the mean model is misspecified (and
#'   the two fits estimate different things) or the correlated equations
#'   found a spurious solution.
#'
#' @section Variances:
#' Both are sandwich (robust) variances with people as clusters and the
#' correlation parameter and scale treated as fixed, as geepack's `san.se`
#' is; like geepack, neither uses a small-sample factor (no
#' \eqn{n/(n-1)}), so they differ by that factor from the variances of
#' [wave_means()].
#' * `se = "naive"` treats the weights as known:
#'   \eqn{B^{-1} (\sum_i U_i U_i') B^{-T}} with \eqn{U_i} person \eqn{i}'s
#'   contribution to the estimating equation and \eqn{B} its expected
#'   derivative, \eqn{\sum_i D_i' V_i^{-1} \mathrm{diag}(R_{it} w_{it}) D_i}
#'   (not symmetric under Robins, Rotnitzky and Zhao's equations). For
#'   independence, and for unweighted correlated fits, this equals
#'   `geeglm()`'s robust variance.
#' * `se = "sandwich"` (default) also counts the estimation of the
#'   weights: the estimating equations of every response model (or
#'   calibration) behind the weights are stacked with the GEE (see
#'   [wave_means()]), using the derivative of each \eqn{U_i} with respect to
#'   each of person \eqn{i}'s weights, which is linear in the weight:
#'   \eqn{D_i' V_i^{-1} e_t (y_{it} - \mu_{it})} for wave \eqn{t}
#'   (\eqn{e_t} the \eqn{t}-th unit vector; under independence
#'   \eqn{D_{it}' v_{it}^{-1} (y_{it} - \mu_{it})}), with \eqn{\alpha} and
#'   \eqn{\phi} fixed.
#'
#' In both, the "bread" is the expected derivative \eqn{-B} (Fisher
#' scoring), as in geepack; for the canonical links used here with
#' independence it is also the observed derivative.
#'
#' @section Missing values:
#' Answers with a missing value in one of the model's variables are left
#' out of the fit (with a message saying how many), as [wave_means()]
#' leaves out missing outcomes: the person's other answers stay, and the
#' values are taken to be missing at random given that the person
#' answered. `nobs()` counts the answers used.
#'
#' @section Small cells:
#' A model can publish what a table would suppress: with `y ~ g * wave`,
#' the coefficients add up to the mean of every group at every wave. So
#' `ipw_gee()` refuses (an error of class `panelattrition_disclosure_error`)
#' a model in which fewer than `min_n` people determine a direction of the
#' coefficients: a column of the model matrix that is non-zero for fewer
#' than `min_n` people, or a cell of the model's categorical variables
#' (factor, character, logical or 0/1 columns, such as group x wave) with
#' fewer than `min_n` people whose answers, taken out, would leave the
#' model matrix short of full rank. Merge small categories, simplify the
#' model, or lower `min_n` knowingly.
#'
#' @param formula A two-sided formula on columns of the panel's data (or
#'   of its baseline covariates, or of `data`), such as
#'   `wellbeing ~ wave * group + age`. The panel's `wave` column is a
#'   factor and can be used as a term. Offsets are not supported.
#' @param w A `pa_weights` object from [attrition_weights()], or `NULL`
#'   for a fit without attrition weights (every answer counts once), for
#'   comparison, with the panel given as `panel`.
#' @param weights Deprecated name of `w`.
#' @param family `gaussian()` (identity link), `binomial()` (logit) or
#'   `poisson()` (log), as a family object, function or name. A binomial
#'   response is 0/1, logical, or a factor whose first level is failure.
#' @param corstr Working correlation: `"independence"`, `"exchangeable"`
#'   or `"ar1"`.
#' @param se `"sandwich"` or `"naive"`; see Variances.
#' @param data Optional data frame with one row per row of the panel's
#'   data, in the same order, whose columns are added to (or replace)
#'   those of the panel's data, for derived variables.
#' @param min_n Smallest number of people a cell of the model may have;
#'   see Small cells.
#' @param panel With `w = NULL`: the `pa_panel` (from [panel_data()])
#'   or the `pa_weights` object whose panel to fit without weights.
#' @param keep What else to keep in the fit, for people who need it:
#'   `NULL` (default) or some of `"influence"` (each person's influence
#'   values, people by coefficients) and `"fitted"` (the fitted values and
#'   linear predictor of every answer, which `predict()` without
#'   `newdata` returns). By default the fit holds its coefficients, their
#'   covariances and what its methods need, and nothing whose size grows
#'   with the panel: no method of the fit (`vcov()`, `summary()`,
#'   [wald_test()], `tidy()`, plots) reads those values, the covariance
#'   being computed from the influence values before they are dropped
#'   (with a design, from their totals within PSUs).
#' @param control `list(maxit, epsilon)`: scoring iterations allowed for
#'   each solve for the coefficients (and updates of the correlation), and
#'   the convergence tolerance.
#'
#' @return An object of class `pa_gee`: a list with `coefficients`,
#'   `vcov` (the `se` variance), `vcov_model` (\eqn{\phi B^{-1}}, the
#'   model-based variance of the working model; with attrition weights and
#'   a correlated structure it ignores the dropout and is not symmetric,
#'   so use `vcov`), `influence` (with `keep = "influence"`: people by
#'   coefficients, whose cross-product, or design-based covariance, is the
#'   variance; else `NULL`), `alpha`, `scale`, `fitted` and
#'   `linear_predictor` (with `keep = "fitted"`: in the order of the
#'   panel's data; else `NULL`), `n_clusters`, `n_obs`, the settings and
#'   what [predict.pa_gee()] needs. Use `coef()`, `vcov()`,
#'   `summary()`, `predict()`, `confint()`, [wald_test()] and `tidy()` on
#'   it.
#'
#' @references
#' Liang, K.-Y. and Zeger, S. L. (1986). Longitudinal data analysis using
#' generalized linear models. *Biometrika*, 73, 13-22.
#'
#' Robins, J. M., Rotnitzky, A. and Zhao, L. P. (1995). Analysis of
#' semiparametric regression models for repeated outcomes in the presence
#' of missing data. *Journal of the American Statistical Association*,
#' 90, 106-121.
#'
#' Halekoh, U., Højsgaard, S. and Yan, J. (2006). The R package geepack
#' for generalized estimating equations. *Journal of Statistical
#' Software*, 15(2), 1-11.
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' panel <- panel_data(read_waves(files, id = "id"), id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' w <- attrition_weights(panel, ~ group + gender + age, monotone = FALSE)
#' fit <- ipw_gee(self_efficacy ~ wave + group + age, w,
#'                corstr = "exchangeable")
#' summary(fit)
#' confint(fit)
#' wald_test(fit, c("wave", "group"))
#' predict(fit, newdata = data.frame(wave = "T3", group = "parallel",
#'                                   age = 40))
ipw_gee <- function(formula, w = NULL, family = stats::gaussian(),
                    corstr = c("independence", "exchangeable", "ar1"),
                    se = c("sandwich", "naive"), data = NULL,
                    control = list(maxit = 50, epsilon = 1e-10),
                    min_n = getOption("panelattrition.min_n", 5),
                    weights = NULL, panel = NULL, keep = NULL) {
  check_required("formula")
  w_arg <- "w"
  if (!is.null(weights)) {
    deprecated_arg("weights", "w", "ipw_gee")
    w <- weights
    w_arg <- "weights"
  }
  unweighted <- is.null(w)
  if (unweighted) {
    w <- gee_unweighted(panel)
  } else if (!inherits(w, "pa_weights")) {
    arg_error(w_arg,
              "a pa_weights object from attrition_weights(), or NULL with `panel`",
              w)
  } else if (!is.null(panel)) {
    pa_abort(paste("Give `w` or `panel`, not both: `panel` is for a fit",
                   "without weights (`w = NULL`)."),
             class = "panelattrition_arg_error", argument = "panel")
  }
  weights <- w
  fam <- gee_family(family)
  corstr <- match_choice(corstr, c("independence", "exchangeable", "ar1"),
                         "corstr")
  se <- match_choice(se, c("sandwich", "naive"), "se")
  ctrl <- check_control(control, list(maxit = 50, epsilon = 1e-10))
  check_min_n(min_n)
  keep <- check_gee_keep(keep)
  if (!inherits(formula, "formula") || length(formula) != 3L) {
    arg_error("formula", "a two-sided formula such as y ~ wave + group",
              formula)
  }

  check_numerator_terms(weights, formula)
  panel <- weights$panel
  rows <- panel_rows(weights)
  vars <- all.vars(formula)
  model_data <- gee_data(panel, rows, data, vars)
  absent <- setdiff(vars, names(model_data))
  if (length(absent)) {
    pa_abort(
      c(sprintf("%s not in the panel's data or baseline covariates: %s.",
                upper_first(plural(length(absent), "variable")),
                format_names(absent)),
        did_you_mean(absent[1L], names(model_data))),
      class = "panelattrition_arg_error", argument = "formula",
      variables = absent
    )
  }
  for (v in vars) check_plain_column(model_data[[v]], v, "formula")
  # an outcome without any answer at a wave: nothing to fit there
  for (v in intersect(all.vars(formula[[2L]]), names(model_data))) {
    check_wave_answers(model_data[[v]], rows, panel$waves,
                       seq_along(panel$waves), v, "formula", each = FALSE)
  }
  # answers with a missing value in the model's variables are left out,
  # as wave_means() leaves out missing outcomes (missing at random given
  # answering); the person's other answers stay
  # (complete.cases() only when a column has a missing value: a logical
  # vector of every answer otherwise)
  missing_row <- if (any(vapply(model_data[vars], anyNA, logical(1)))) {
    !stats::complete.cases(model_data[vars])
  }
  if (any(missing_row)) {
    n_na <- vapply(model_data[vars], function(v) sum(is.na(v)), numeric(1))
    bad <- n_na[n_na > 0]
    if (all(missing_row)) {
      pa_abort(sprintf("Every answer has a missing value in the model's variables (%s).",
                       paste0("`", names(bad), "` ", bad, collapse = ", ")),
               class = "panelattrition_missing_error", variables = names(bad),
               counts = unname(bad))
    }
    message(sprintf(
      "ipw_gee(): %d %s with missing values left out (%s).",
      sum(missing_row), plural(sum(missing_row), "answer"),
      paste0("`", names(bad), "` ", bad, collapse = ", ")))
    rows <- rows[!missing_row, , drop = FALSE]
  }

  # clusters: people, answers in wave order within each (the order of the
  # panel's data already, unless it was changed). order() is stable, so it
  # leaves the rows as they are exactly when the pairs (person, wave) do
  # not decrease, which one pass over their codes tells
  sorted <- pairs_sorted(rows$person, rows$wave)
  if (!sorted) {
    rows <- rows[order(rows$person, rows$wave), , drop = FALSE]
  }
  in_order <- sorted && !any(missing_row)
  build_error <- function(e) {
    pa_abort(sprintf("Cannot build the model matrix of `formula`: %s",
                     conditionMessage(e)),
             class = "panelattrition_arg_error", argument = "formula")
  }
  mf <- tryCatch(
    stats::model.frame(formula,
                       data = if (in_order) model_data[vars] else
                         model_data[rows$row, vars, drop = FALSE],
                       # missing values were refused above
                       na.action = stats::na.pass),
    error = build_error
  )
  mf <- drop_unused_levels(mf)
  mt <- attr(mf, "terms")
  if (!is.null(stats::model.offset(mf))) {
    pa_abort("`formula` must not contain an offset() term.",
             class = "panelattrition_arg_error", argument = "formula")
  }
  # the response as model.response() gives it, without its names (row
  # names of every answer, which cost more than the rest of the frame)
  y <- mf[[1L]]
  if (is.matrix(y) && ncol(y) == 1L) dim(y) <- NULL
  y <- gee_response(y, fam$name,
                    deparse1(formula[[2L]]))
  # (gee_response() refused infinite values: what is left to check is that
  # the squares do not overflow, as check_finite_outcome() checks; their
  # sum is surely finite when n times the largest square is, which the
  # smallest and largest values tell without the squares; range() would
  # copy y)
  big <- max(abs(c(min(y), max(y))))
  if (!(big * big * length(y) < 1e300) && !is.finite(sum(y * y))) {
    abort_nonfinite(deparse1(formula[[2L]]), "formula", y)
  }
  # dense, or compressed (its distinct rows, and each answer's row, from
  # 0, as the attribute "code"; see gee_model_matrix())
  x <- tryCatch(gee_model_matrix(mt, mf), error = build_error)
  if (!is.double(x)) storage.mode(x) <- "double"
  # column sums screen for non-finite values without an n x p logical (a
  # compressed matrix holds only rows some answer has, so its values are
  # finite exactly when the answers' are)
  if (!all(is.finite(colSums(x))) && any(!is.finite(x))) {
    pa_abort("The model matrix has infinite values.",
             class = "panelattrition_arg_error", argument = "formula")
  }
  full <- surely_full_rank(x)
  # (expanded on this path only: a model matrix not surely of full rank)
  qx <- if (!full) qr(gee_x_expand(x))
  if (!full && qx$rank < ncol(x)) {
    aliased <- colnames(x)[qx$pivot[seq.int(qx$rank + 1L, ncol(x))]]
    pa_abort(
      sprintf(paste("%s %s linearly dependent on the other columns of the",
                    "model matrix. Remove %s or merge sparse categories."),
              format_names(aliased),
              if (length(aliased) == 1L) "is" else "are",
              if (length(aliased) == 1L) "it" else "them"),
      class = "panelattrition_collinear_error", variables = aliased
    )
  }
  # the answers of each person (consecutive: rows are ordered by person),
  # as rle()'s run lengths, by counting
  size <- run_lengths(rows$person)
  check_model_cells(x, mf, rows$person, min_n, most = max(size))
  # each answer's weight at its wave: by the kernel in one pass for
  # integer codes, else by position in the weights matrix
  wt <- if (is.integer(rows$wave) && is.integer(rows$person)) {
    .Call(C_weights_at, double_matrix(weights$weights), rows$person,
          rows$wave)
  } else {
    weights$weights[(rows$wave - 1) * as.double(nrow(weights$weights)) +
                      rows$person]
  }
  # a finite sum and a positive minimum vouch for every weight without
  # logical vectors of every answer
  if (!(is.finite(sum(wt)) && min(wt) > 0) &&
      (anyNA(wt) || any(!is.finite(wt)) || any(wt <= 0))) {
    pa_abort(
      sprintf(paste("%d of the panel's answers have no positive attrition",
                    "weight; were the weights built on this panel?"),
              sum(is.na(wt) | !is.finite(wt) | wt <= 0)),
      class = "panelattrition_arg_error", argument = "weights"
    )
  }
  # Weighted correlated fits solve Robins, Rotnitzky and Zhao's equations
  # over every wave of each person; unweighted ones (every weight 1) and
  # independence keep the equations on the answers alone (geeglm()'s).
  full <- corstr != "independence" && any(wt != 1)
  # the kernel forms the fitted values and the weight derivatives only
  # when they are read. An independence fit on a compressed model matrix
  # gives the derivatives as two numbers per answer (the kernel's factors,
  # gee.h), which the sandwich multiplies into the matrix's rows as it
  # reads them; other fits give them n x p, written over a dense model
  # matrix (made for the fit and not read again: a correlated fit with
  # weights is given its grid's, and the independence check's fit below
  # the answers')
  sandwich <- se == "sandwich"
  factors <- sandwich && corstr == "independence" &&
    !is.null(attr(x, "code", exact = TRUE))
  want <- c(fitted = "fitted" %in% keep, dscores = sandwich && !factors,
            overwrite = TRUE, factors = factors)
  if (full) {
    grid <- gee_grid(weights, rows, model_data, formula, mt, mf, x, y, wt,
                     corstr)
    fit <- gee_call(grid$x, grid$y, grid$w, grid$time, grid$size, fam,
                    corstr, ctrl, grid$mode, grid$base, want = want)
  } else {
    fit <- gee_call(x, y, wt, rows$wave, size, fam, corstr, ctrl,
                    want = want)
  }
  gee_status(fit, corstr, full)
  if (full) {
    # back to the answers: fitted values and weight derivatives
    fit$fitted <- fit$fitted[grid$pos]
    fit$linear_predictor <- fit$linear_predictor[grid$pos]
    if (!is.null(fit$dscores)) {
      fit$dscores <- fit$dscores[grid$pos, , drop = FALSE]
    }
    rm(grid)
  }

  names_x <- colnames(x)
  x_assign <- attr(x, "assign")
  x_contrasts <- attr(x, "contrasts")
  xlevels <- stats::.getXlevels(mt, mf)
  # the answers' model matrix and frame are not read past here (but by
  # the influence values of the factors' fits and the independence fit
  # that checks a correlated one), nor the fitted values unless they are
  # kept: they go before the influence values are formed
  if (!full) rm(y, mf, model_data)
  if (!full && !factors) rm(x)
  if (!"fitted" %in% keep) fit$fitted <- fit$linear_predictor <- NULL
  coefficients <- stats::setNames(fit$coefficients, names_x)
  infl <- gee_influence(weights, fit, rows, sandwich, if (factors) x, wt)
  if (full) {
    # both fits estimate the same coefficients when the mean model is
    # right; a difference beyond sampling error means it is not, or the
    # correlated fit found a spurious solution
    coded <- !is.null(attr(x, "code", exact = TRUE))
    ind <- gee_call(x, y, wt, rows$wave, size, fam, "independence", ctrl,
                    want = c(FALSE, sandwich && !coded, TRUE,
                             sandwich && coded))
    gee_status(ind, "independence", FALSE)
    infl_ind <- gee_influence(weights, ind, rows, sandwich,
                              if (coded) x, wt)
    rm(x)
    gee_check_independence(fit, ind, infl, infl_ind,
                           corstr, names_x,
                           function(a) gee_vcov(a, weights, rows, se))
  }
  vc <- gee_vcov(infl, weights, rows, se)
  if (!all(is.finite(coefficients)) || !all(is.finite(diag(vc)))) {
    abort_nonfinite(deparse1(formula[[2L]]), "formula")
  }
  dimnames(vc) <- list(names_x, names_x)
  if ("influence" %in% keep) {
    colnames(infl) <- names_x
    rownames(infl) <- rownames(weights$weights)
  } else {
    infl <- NULL
  }
  vc_model <- fit$scale * solve(fit$bread)
  dimnames(vc_model) <- list(names_x, names_x)

  # fitted values back in the order of the panel's data (NA for answers
  # left out)
  fitted <- lp <- NULL
  if ("fitted" %in% keep) {
    fitted <- rep(NA_real_, nrow(panel$data))
    lp <- rep(NA_real_, nrow(panel$data))
    fitted[rows$row] <- fit$fitted
    lp[rows$row] <- fit$linear_predictor
  }

  structure(
    list(
      coefficients = coefficients, vcov = vc, vcov_model = vc_model,
      influence = infl, alpha = if (corstr == "independence") NA_real_ else fit$alpha,
      scale = fit$scale, fitted = fitted, linear_predictor = lp,
      family = fam$family, corstr = corstr, se = se, weighted = !unweighted,
      n_clusters = length(size), n_obs = nrow(rows),
      iterations = fit$iterations, converged = fit$converged,
      formula = formula, terms = mt, assign = x_assign,
      xlevels = xlevels, contrasts = x_contrasts, call = match.call()
    ),
    class = "pa_gee"
  )
}

# Whether the answers' (person, wave) pairs never decrease (person first),
# so that order(person, wave) would leave them as they are: in one pass by
# the kernel for integer codes, else from one key per answer.
pairs_sorted <- function(person, wave) {
  if (is.integer(person) && is.integer(wave)) {
    sorted <- .Call(C_pairs_sorted, person, wave)
    if (!is.na(sorted)) return(sorted)
  }
  key <- as.double(person) * (max(wave) + 1) + wave
  isFALSE(is.unsorted(key))
}

# What of the fit's per-person (or per-answer) values to keep in the
# object: by default none, so that its size does not grow with the panel.
check_gee_keep <- function(keep) {
  parts <- c("influence", "fitted")
  if (is.null(keep)) return(character())
  if (!is.character(keep) || anyNA(keep) || !all(keep %in% parts)) {
    arg_error("keep", sprintf("NULL or some of %s",
                              paste0("\"", parts, "\"", collapse = " and ")),
              keep)
  }
  unique(keep)
}

# Weights stabilised by a numerator model P(R | v) carry a factor h(v): the
# weighted estimating equations stay unbiased only when the model holds
# given v, so v must be in the model (at least as main effects).
check_numerator_terms <- function(weights, formula) {
  v <- numerator_covariates(weights)
  if (!length(v)) return(invisible())
  labels <- tryCatch(attr(stats::terms(formula), "term.labels"),
                     error = function(e) character())
  absent <- setdiff(v, labels)
  if (!length(absent)) return(invisible())
  pa_abort(
    sprintf(paste("ipw_gee() cannot use these weights with this `formula`:",
                  "they were stabilised with `numerator = %s`, which is",
                  "valid only for a model that conditions on %s. Add %s to",
                  "`formula` as main %s, or build the weights without",
                  "`numerator`."),
            paste(deparse(weights$numerator, width.cutoff = 500L),
                  collapse = " "),
            format_names(v), format_names(absent),
            if (length(absent) == 1L) "effect" else "effects"),
    class = "panelattrition_numerator_error", argument = "formula",
    variables = absent
  )
}

# The kernel's fit. `x` is the model matrix, dense or compressed (with
# its attribute "code"). `mode` is c(equations, pair rule) as in
# src/gee.h: c(0, 0) geepack's equations on the answers, c(1, 1) or
# c(1, 2) Robins, Rotnitzky and Zhao's over complete clusters with pairs
# weighted by the later wave's weight or by w_s w_t / base weight. `want`
# says whether the fitted values and the weight derivatives are wanted
# (else they are NULL) and whether the derivatives may be written over a
# dense `x` (which the caller must then never read again: its values are
# gone); under independence the answers' times are not read.
gee_call <- function(x, y, w, time, size, fam, corstr, ctrl,
                     mode = c(0L, 0L), base = double(),
                     want = c(TRUE, TRUE, FALSE)) {
  time <- if (corstr == "independence") double() else as.double(time)
  want <- as.logical(unname(want))
  .Call(C_gee_fit, x, attr(x, "code", exact = TRUE), as.double(y),
        as.double(w), time,
        as.integer(size),
        match(fam$name, c("gaussian", "binomial", "poisson")) - 1L,
        match(corstr, c("independence", "exchangeable", "ar1")) - 1L,
        c(ctrl$maxit, ctrl$epsilon), as.integer(mode), as.double(base),
        c(want, FALSE)[1:4])
}

# Raise the kernel's failures as classed conditions.
gee_status <- function(fit, corstr, full) {
  switch(fit$status,
    ok = ,
    not_converged = NULL,
    no_pairs = pa_abort(
      sprintf(paste("ipw_gee(): `corstr = \"%s\"` needs people who answered",
                    "at least two waves; nobody did. Use",
                    "`corstr = \"independence\"`."),
              corstr),
      class = "panelattrition_model_error", argument = "corstr"
    ),
    correlation = pa_abort(
      sprintf(paste("ipw_gee(): the estimated %s correlation (alpha = %s)",
                    "gives a working correlation matrix that is not",
                    "positive definite%s. This happens when the outcome's",
                    "variance differs much between waves or its",
                    "correlation is close to 1; use `corstr = \"%s\"` or",
                    "`\"independence\"`."),
              corstr, format(fit$alpha, digits = 4),
              if (full) " over the panel's waves" else "",
              if (corstr == "ar1") "exchangeable" else "ar1"),
      class = c("panelattrition_correlation_error",
                "panelattrition_model_error"),
      argument = "corstr", alpha = fit$alpha
    ),
    pa_abort(sprintf("ipw_gee(): the GEE fit failed: %s.", fit$message),
             class = "panelattrition_model_error")
  )
  if (identical(fit$status, "not_converged")) {
    pa_warn(
      sprintf(paste("The GEE fit did not converge (%s); its estimates are",
                    "from the last iteration. Increase `control$maxit` or",
                    "simplify the model."), fit$message),
      class = "panelattrition_convergence_warning"
    )
  }
  invisible(fit)
}

# Complete clusters for Robins, Rotnitzky and Zhao's equations: a row for
# every person who answered at least once and every wave anybody answered,
# in person-then-wave order. Answers keep their model-matrix rows; a wave
# a person did not answer gets weight 0, response 0 and the model-matrix
# row built from the wave and the person's baseline covariates, which are
# known there. `pos` gives the grid row of each answer (in `rows` order).
gee_grid <- function(weights, rows, model_data, formula, mt, mf, x, y, wt,
                     corstr) {
  panel <- weights$panel
  people <- rows$person[!duplicated(rows$person)]
  waves <- sort(unique(rows$wave))
  n_t <- length(waves)
  cluster <- match(rows$person, people)
  pos <- (cluster - 1L) * n_t + match(rows$wave, waves)
  n_grid <- length(people) * n_t
  missing_at <- setdiff(seq_len(n_grid), pos)

  # a compressed matrix stays compressed: its rows, then those of the
  # waves not answered, with the answers' codes at their grid rows
  code <- attr(x, "code", exact = TRUE)
  if (is.null(code)) {
    gx <- matrix(0, n_grid, ncol(x), dimnames = list(NULL, colnames(x)))
    gx[pos, ] <- x
  } else {
    gcode <- integer(n_grid)
    gcode[pos] <- code
  }
  if (length(missing_at)) {
    g_person <- people[(missing_at - 1L) %/% n_t + 1L]
    g_wave <- waves[(missing_at - 1L) %% n_t + 1L]
    rhs <- all.vars(stats::delete.response(mt))
    values <- list()
    unknown <- character()
    for (v in rhs) {
      observed <- model_data[[v]][rows$row]
      if (identical(v, panel$wave)) {
        # the value each wave's answers have, if it is one per wave
        first <- observed[match(waves, rows$wave)]
        ok <- identical(as.character(observed),
                        as.character(first[match(rows$wave, waves)]))
        vals <- first[match(g_wave, waves)]
      } else if (v %in% names(panel$baseline)) {
        b <- panel$baseline[[v]]
        ok <- identical(as.character(observed),
                        as.character(b[rows$person]))
        vals <- b[g_person]
      } else {
        ok <- FALSE
      }
      if (ok) values[[v]] <- vals else unknown <- c(unknown, v)
    }
    if (length(unknown)) {
      pa_abort(
        sprintf(paste(
          "ipw_gee(): with attrition weights, `corstr = \"%s\"` solves the",
          "estimating equations of Robins, Rotnitzky and Zhao (1995), which",
          "use every person's model-matrix rows at every wave, including",
          "the %d waves people did not answer. %s %s neither the wave nor",
          "a baseline covariate, so %s unknown there. Make %s a baseline",
          "covariate of the panel if %s constant over the waves, or use",
          "`corstr = \"independence\"`."),
          corstr, length(missing_at), format_names(unknown),
          if (length(unknown) == 1L) "is" else "are",
          if (length(unknown) == 1L) "its value is" else "their values are",
          if (length(unknown) == 1L) "it" else "them",
          if (length(unknown) == 1L) "it is" else "they are"),
        class = c("panelattrition_time_varying_error",
                  "panelattrition_model_error"),
        argument = "corstr", variables = unknown
      )
    }
    newdata <- as.data.frame(values, stringsAsFactors = FALSE,
                             optional = TRUE)
    if (!length(values)) newdata <- data.frame(row.names = seq_along(g_wave))
    tt <- stats::delete.response(mt)
    x_missing <- tryCatch({
      mfu <- stats::model.frame(tt, newdata, xlev = stats::.getXlevels(mt, mf),
                                na.action = stats::na.pass)
      stats::model.matrix(tt, mfu, contrasts.arg = attr(x, "contrasts"))
    }, error = function(e) {
      pa_abort(sprintf(paste("ipw_gee(): cannot build the model matrix of",
                             "`formula` at the waves people did not",
                             "answer: %s"), conditionMessage(e)),
               class = "panelattrition_model_error", argument = "formula")
    })
    if (is.null(code)) {
      gx[missing_at, ] <- x_missing
    } else {
      gcode[missing_at] <- nrow(x) - 1L + seq_along(missing_at)
      gx <- rbind(gee_x_rows(x), unname(x_missing))
    }
  } else if (!is.null(code)) {
    gx <- gee_x_rows(x)
  }
  if (!is.null(code)) attr(gx, "code") <- gcode
  gy <- numeric(n_grid)
  gy[pos] <- y
  gw <- numeric(n_grid)
  gw[pos] <- wt
  # pairs of answers in the correlation estimate: under monotone dropout
  # both are observed iff the later one is, so its weight; with
  # intermittent response (independent over waves given the baseline
  # covariates) w_s w_t / d, d the person's base weight
  monotone <- !isFALSE(weights$monotone)
  base <- if (monotone) double() else {
    weights$base_weights[people] %||% rep(1, length(people))
  }
  list(x = gx, y = gy, w = gw, time = rep(waves, length(people)),
       size = rep(n_t, length(people)), pos = pos,
       mode = c(1L, if (monotone) 1L else 2L), base = base)
}

# The model matrix of the answers, as stats::model.matrix(mt, mf) gives it
# but without row names (nothing reads them, and at a million answers
# their strings cost as much as the matrix). When every variable on the
# right is a factor, a row depends only on the combination of levels: the
# matrix is built for one row per combination present (the same values as
# model.matrix() gives each answer: each is computed from the same levels
# by the same code) and returned compressed, those rows with attributes
# "code" (each answer's row, an integer counted from 0 as the kernels read
# it, so that they need no copy) and "count" (the answers of each row);
# gee_x_expand() gives the full matrix. Readers of the compressed
# form: the kernel (same arithmetic as on the full matrix),
# surely_full_rank(), check_model_cells() and gee_grid().
gee_model_matrix <- function(mt, mf) {
  vars <- mf[-1L]
  n <- nrow(mf)
  # as model.matrix() turns them into factors
  for (j in seq_along(vars)) {
    if (is.character(vars[[j]])) vars[[j]] <- factor(vars[[j]])
  }
  n_levels <- vapply(vars, function(v) if (is.factor(v)) nlevels(v) else NA_integer_,
                     integer(1))
  combos <- prod(as.double(n_levels))
  if (!length(vars) || anyNA(n_levels) || any(n_levels < 1L) ||
      attr(mt, "response") != 1L || n < 2L || combos > 1e6) {
    x <- stats::model.matrix(mt, mf)
    rownames(x) <- NULL
    return(x)
  }
  # each answer's combination, 1..combos, the first variable fastest
  code <- unclass(vars[[1L]])
  step <- 1L
  for (j in seq_along(vars)[-1L]) {
    step <- step * n_levels[[j - 1L]]
    code <- code + (unclass(vars[[j]]) - 1L) * step
  }
  attributes(code) <- NULL
  counts <- tabulate(code, combos)
  present <- which(counts > 0L)
  # one row per combination present, with the factors' own attributes
  small <- lapply(seq_along(vars), function(j) {
    before <- prod(n_levels[seq_len(j - 1L)])
    codes <- as.integer((present - 1L) %/% before %% n_levels[[j]] + 1L)
    a <- attributes(vars[[j]])
    a$names <- NULL
    attributes(codes) <- a
    codes
  })
  names(small) <- names(vars)
  frame <- c(list(mf[[1L]][seq_along(present)]), small)
  names(frame) <- names(mf)
  frame <- structure(frame, class = "data.frame",
                     row.names = c(NA_integer_, -length(present)),
                     terms = mt)
  xu <- stats::model.matrix(mt, frame)
  map <- integer(combos)
  map[present] <- seq_along(present) - 1L
  dimnames(xu) <- list(NULL, colnames(xu))
  attr(xu, "code") <- map[code]
  attr(xu, "count") <- counts[present]
  xu
}

# The rows of a compressed model matrix, a plain matrix (its dimnames
# kept); a dense one as it is.
gee_x_rows <- function(x) {
  attr(x, "code") <- NULL
  attr(x, "count") <- NULL
  x
}

# The answers' model matrix in full, as stats::model.matrix() gives it
# (without row names), from a compressed one: for paths that need every
# row (errors, and the rank of a matrix not surely of full rank).
gee_x_expand <- function(x) {
  code <- attr(x, "code", exact = TRUE)
  if (is.null(code)) return(x)
  out <- x[code + 1L, , drop = FALSE]
  dimnames(out) <- list(NULL, colnames(x))
  attr(out, "assign") <- attr(x, "assign")
  if (!is.null(attr(x, "contrasts"))) {
    attr(out, "contrasts") <- attr(x, "contrasts")
  }
  out
}

# What model.frame(drop.unused.levels = TRUE) does to a frame made
# without it, the same factors dropping the same levels (with the same
# warning), but finding unused levels by counting codes rather than by
# unique() of every value.
drop_unused_levels <- function(mf) {
  for (nm in names(mf)) {
    x <- mf[[nm]]
    if (!is.factor(x) ||
        all(tabulate(unclass(x), length(levels(x))) > 0L)) {
      next
    }
    ctr <- attr(x, "contrasts")
    mf[[nm]] <- x[, drop = TRUE]
    if (!identical(attr(mf[[nm]], "contrasts"), ctr)) {
      warning(gettextf("contrasts dropped from factor %s due to missing levels",
                       nm), domain = NA, call. = FALSE)
    }
  }
  mf
}

# The covariance of a GEE fit's coefficients from its influence values:
# people as units, or, with a design, the design's PSUs among the people
# the variance counts: those with answers (naive, as survey counts a
# design of the answers), or the whole panel (sandwich, whose response
# models span it).
gee_vcov <- function(infl, weights, rows, se) {
  design <- weights$panel$design
  if (is.null(design)) return(xt_a(infl, infl))
  if (se != "naive") {
    # every row: the matrix as it is (a subset of all rows would copy it)
    return(influence_vcov(infl, design, seq_len(nrow(infl))))
  }
  used <- sort(unique(rows$person))
  influence_vcov(infl[used, , drop = FALSE], design, used)
}

# The weighted correlated fit against the independence fit on the same
# weights: both estimate the same coefficients when the mean model is
# right, so their difference, with its variance from the difference of
# the influence values, is a Hausman-type test. A p-value below 1e-6
# means a mean model that is wrong (the fits then estimate different
# things) or a spurious solution of the correlated equations.
gee_check_independence <- function(fit, ind, infl, infl_ind, corstr,
                                   names_x, vcov_of) {
  d <- fit$coefficients - ind$coefficients
  # the variance of the difference as every variance of the fit is made
  # (design-based when the panel has a design)
  vd <- vcov_of(infl - infl_ind)
  tol <- 1e-10 * max(diag(vcov_of(infl_ind)))
  e <- eigen(vd, symmetric = TRUE)
  keep <- e$values > tol
  if (!any(keep)) return(invisible(NULL))
  z <- drop(crossprod(e$vectors[, keep, drop = FALSE], d))
  stat <- sum(z^2 / e$values[keep])
  df <- sum(keep)
  p <- stats::pchisq(stat, df, lower.tail = FALSE)
  if (p < 1e-6) {
    worst <- which.max(abs(d) / sqrt(pmax(diag(vd), tol)))
    pa_abort(
      sprintf(paste(
        "ipw_gee(): the %s fit (alpha = %s) does not reproduce the",
        "independence fit on the same weights: the two differ by",
        "chi-square %s on %d df (p = %s; largest for `%s`: %s against %s).",
        "Both are consistent when the mean model is right, so either the",
        "model for the mean is misspecified (then independence estimates",
        "the population-averaged coefficients) or the correlated",
        "equations found a spurious solution. Use",
        "`corstr = \"independence\"`, or revise the model."),
        corstr, format(fit$alpha, digits = 4), format(stat, digits = 4),
        df, format.pval(p, digits = 2), names_x[worst],
        format(fit$coefficients[worst], digits = 4),
        format(ind$coefficients[worst], digits = 4)),
      class = c("panelattrition_gee_check_error",
                "panelattrition_model_error"),
      argument = "corstr", statistic = stat, df = df, p_value = p,
      alpha = fit$alpha
    )
  }
  invisible(NULL)
}

# TRUE when every column of x keeps more than a 1e-6 share of its sum of
# squares after projection on the columns before it (the squared diagonal
# of the Cholesky factor of the scaled X'X): qr() would then find full rank
# at any tolerance it uses (1e-7 on the norm), so it can be skipped. FALSE
# means only "not sure".
surely_full_rank <- function(x) {
  # for a compressed matrix, X'X from its rows times their counts: the same
  # matrix but for rounding, which the margin of 1e-6 absorbs, and of the
  # same rank, so that TRUE still means qr() would find full rank
  count <- attr(x, "count", exact = TRUE)
  xtx <- if (is.null(count)) xt_a(x, x) else {
    xu <- gee_x_rows(x)
    xt_a(xu, xu * as.double(count))
  }
  d <- diag(xtx)
  if (!all(is.finite(d)) || any(d <= 0)) return(FALSE)
  s <- 1 / sqrt(d)
  ch <- tryCatch(chol(xtx * outer(s, s)), error = function(e) NULL)
  !is.null(ch) && min(diag(ch))^2 > 1e-6
}

# Arguments and data -------------------------------------------------------

gee_family <- function(family) {
  if (is.character(family) && length(family) == 1L && !is.na(family)) {
    name <- family
    if (!name %in% c("gaussian", "binomial", "poisson")) {
      arg_error("family", "gaussian(), binomial() or poisson()", family)
    }
    family <- get(name, envir = asNamespace("stats"), mode = "function")()
  } else if (is.function(family)) {
    family <- tryCatch(family(), error = function(e) NULL)
  }
  if (!inherits(family, "family")) {
    arg_error("family", "gaussian(), binomial() or poisson()", family)
  }
  canonical <- c(gaussian = "identity", binomial = "logit", poisson = "log")
  name <- family$family
  if (!name %in% names(canonical) || family$link != canonical[[name]]) {
    pa_abort(
      sprintf(paste("`family` must be gaussian(\"identity\"),",
                    "binomial(\"logit\") or poisson(\"log\"), not %s(\"%s\")."),
              name, family$link),
      class = "panelattrition_arg_error", argument = "family"
    )
  }
  list(name = name, family = family)
}

# The panel's answers with the person's baseline covariates alongside (for
# those not already columns, and among `vars`, the model's variables), and
# the columns of `data` on top.
# A fit without attrition weights: every answer weighs 1 and nothing is
# estimated for the weights (the weights object stands in for the panel).
gee_unweighted <- function(panel) {
  if (is.null(panel)) {
    pa_abort(paste("`w` must be a pa_weights object from",
                   "attrition_weights(); for a fit without weights, give",
                   "`w = NULL` and the panel as `panel`."),
             class = "panelattrition_arg_error", argument = "w")
  }
  if (inherits(panel, "pa_weights")) return(unit_weights(panel))
  if (!inherits(panel, "pa_panel")) {
    arg_error("panel", "a pa_panel from panel_data() when `w` is NULL",
              panel)
  }
  w <- attrition_weights(panel, ~ 1, monotone = FALSE)
  unit_weights(w)
}

gee_data <- function(panel, rows, data, vars) {
  d <- panel$data
  extra <- setdiff(intersect(names(panel$baseline), vars),
                   c(names(d), panel$id))
  for (v in extra) d[[v]] <- panel$baseline[[v]][rows$person]
  if (!is.null(data)) {
    if (!is.data.frame(data) || nrow(data) != nrow(d)) {
      arg_error("data", sprintf(
        "a data frame with one row per row of the panel's data (%d)",
        nrow(d)), data)
    }
    for (v in names(data)) d[[v]] <- data[[v]]
  }
  d
}

gee_response <- function(y, family, label) {
  if (is.null(y) || NCOL(y) != 1L) {
    pa_abort(sprintf("The response `%s` must be a single column.", label),
             class = "panelattrition_arg_error", argument = "formula")
  }
  if (family == "binomial") {
    if (is.factor(y)) {
      if (nlevels(y) != 2L) {
        pa_abort(sprintf(paste("A binomial response must have two levels;",
                               "`%s` has %d."), label, nlevels(y)),
                 class = "panelattrition_arg_error", argument = "formula")
      }
      y <- as.numeric(y != levels(y)[1L])
    }
    if (is.logical(y)) y <- as.numeric(y)
    if (!is.numeric(y) || any(y < 0 | y > 1)) {
      pa_abort(sprintf(paste("A binomial response must be 0/1, logical or a",
                             "two-level factor; `%s` is not."), label),
               class = "panelattrition_arg_error", argument = "formula")
    }
  } else {
    if (is.logical(y)) y <- as.numeric(y)
    if (!is.numeric(y)) {
      pa_abort(sprintf("The response `%s` must be numeric for family %s, not %s.",
                       label, family, class(y)[1L]),
               class = "panelattrition_arg_error", argument = "formula")
    }
    if (family == "poisson" && any(y < 0)) {
      pa_abort(sprintf("A Poisson response must be non-negative; `%s` is not.",
                       label),
               class = "panelattrition_arg_error", argument = "formula")
    }
  }
  # (a value that is not finite shows in the smallest or largest value,
  # found without a logical vector of every answer or a copy)
  if (length(y) && !all(is.finite(c(min(y), max(y))))) {
    pa_abort(sprintf("The response `%s` has infinite values.", label),
             class = c("panelattrition_nonfinite_error",
                       "panelattrition_arg_error"),
             argument = "formula", variables = label)
  }
  as.numeric(y)
}

# Influence values of the coefficients, people by coefficients. The
# estimating function of person i is the kernel's score row; its derivative
# with respect to i's weight at wave t is the kernel's dscores row for that
# answer, which is what estimate_influence() chains to the response models.
# An independence fit gives that row as two factors per answer (da, dr)
# instead, times the answer's row of the model matrix `x` (dense or
# compressed) and over its weight `wt` (gee.h), which the sandwich's
# kernel multiplies out as it reads them.
gee_influence <- function(w, fit, rows, sandwich, x = NULL, wt = NULL) {
  n <- nrow(w$weights)
  people <- first_of_each(rows$person)
  # phi (n x p) is the scores on the people's rows, zero elsewhere, formed
  # by the kernel; the scores are not read again (the fit keeps none), so
  # when every person has answers the kernel forms the totals over them
  phi <- list(rows = int_arg(people), m = double_matrix(fit$scores), n = n,
              overwrite = TRUE)
  n_t <- ncol(w$weights)
  dphi_dw <- vector("list", n_t)
  if (sandwich && !is.null(fit$da)) {
    # the factors: wave t's derivatives are those of the answers whose
    # wave is t (which(rows$wave == t)), which the kernel picks out as it
    # reads them
    wave <- int_arg(rows$wave)
    code <- attr(x, "code", exact = TRUE)
    xu <- double_matrix(gee_x_rows(x))
    for (t in which(tabulate(wave, n_t) > 0L)) {
      dphi_dw[[t]] <- list(person = rows$person, x = xu, code = code,
                           a = fit$da, r = fit$dr, w = wt, wave = wave,
                           t = t)
    }
  } else if (sandwich) {
    # each wave's answers in one pass (the rows' wave codes as a factor,
    # as which(rows$wave == t) would find them for each t in turn)
    wave <- rows$wave
    by_wave <- if (is.integer(wave) && !anyNA(wave) && min(wave) >= 1L &&
                   max(wave) <= n_t) {
      split(seq_along(wave),
            structure(wave, levels = as.character(seq_len(n_t)),
                      class = "factor"))
    } else {
      lapply(seq_len(n_t), function(t) which(wave == t))
    }
    for (t in which(lengths(by_wave) > 0L)) {
      at <- by_wave[[t]]
      # only the wave's answers: each person once (rows `at` of the
      # derivatives, read in place)
      dphi_dw[[t]] <- list(rows = rows$person[at], m = fit$dscores, sel = at)
    }
  }
  estimate_influence(w, phi, -fit$bread, dphi_dw, sandwich = sandwich)
}

# Methods -------------------------------------------------------------------

#' Methods for attrition-weighted GEE fits
#'
#' `coef()`, `vcov()` and `nobs()` (answers used); `summary()` gives the
#' coefficient table (estimate, standard error, z statistic and two-sided
#' normal p-value) with the family, working correlation, its parameter,
#' the scale, the numbers of people (clusters) and answers, and the
#' variance used; `confint()` Wald intervals; `predict()` the linear
#' predictor or the mean, for the panel's answers or new data. `tidy()`
#' and `glance()` are described in [pa_tidiers].
#'
#' @param object,x A `pa_gee` object from [ipw_gee()] (or its summary).
#' @param parm Coefficients for `confint()`: names or positions; all by
#'   default.
#' @param level Confidence level.
#' @param newdata Optional data frame with the model's covariates; `NULL`
#'   for the panel's answers (in the order of the panel's data), which
#'   needs a fit made with `ipw_gee(keep = "fitted")`.
#' @param type `"link"` (linear predictor) or `"response"` (mean).
#' @param digits Significant digits to print.
#' @param ... Unused.
#' @return `summary()`: a `summary.pa_gee` list whose `coefficients` is a
#'   data frame (`term`, `estimate`, `std_error`, `statistic`, `p_value`);
#'   `confint()`: a matrix with one row per coefficient; `predict()`: a
#'   numeric vector. `print()` methods return their argument invisibly.
#' @name pa_gee
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' panel <- panel_data(read_waves(files, id = "id"), id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' w <- attrition_weights(panel, ~ group + gender + age, monotone = FALSE)
#' fit <- ipw_gee(self_efficacy ~ wave + gender, w)
#' coef(fit)
#' summary(fit)
#' confint(fit, "waveT3", level = 0.9)
#' head(predict(fit, newdata = panel$data))
#' fit_all <- ipw_gee(self_efficacy ~ wave + gender, w, keep = "fitted")
#' head(predict(fit_all))
NULL

#' @rdname pa_gee
#' @export
vcov.pa_gee <- function(object, ...) object$vcov

#' @rdname pa_gee
#' @importFrom stats coef
#' @export
coef.pa_gee <- function(object, ...) object$coefficients

#' @rdname pa_gee
#' @importFrom stats nobs
#' @export
nobs.pa_gee <- function(object, ...) object$n_obs

gee_table <- function(object) {
  est <- object$coefficients
  se <- sqrt(pmax(diag(object$vcov), 0))
  z <- est / se
  data.frame(term = names(est), estimate = unname(est),
             std_error = unname(se), statistic = unname(z),
             p_value = unname(2 * stats::pnorm(-abs(z))),
             stringsAsFactors = FALSE)
}

#' @rdname pa_gee
#' @export
summary.pa_gee <- function(object, ...) {
  structure(
    list(coefficients = gee_table(object), family = object$family$family,
         link = object$family$link, corstr = object$corstr,
         alpha = object$alpha, scale = object$scale,
         n_clusters = object$n_clusters, n_obs = object$n_obs,
         se = object$se, converged = object$converged,
         iterations = object$iterations, formula = object$formula),
    class = "summary.pa_gee"
  )
}

gee_header <- function(formula, family, link, corstr, alpha, scale,
                       n_clusters, n_obs, se) {
  c(sprintf("<pa_gee> %s", paste(deparse(formula, width.cutoff = 200L),
                                 collapse = " ")),
    sprintf("  family %s (%s link), working correlation %s%s, scale %s",
            family, link, corstr,
            if (is.na(alpha)) "" else sprintf(" (alpha = %s)",
                                              format(alpha, digits = 4)),
            format(scale, digits = 4)),
    sprintf("  %d people (clusters), %d answers; %s", n_clusters, n_obs,
            if (se == "sandwich") {
              "sandwich SEs counting the estimated weights"
            } else {
              "robust SEs with the weights taken as known"
            }))
}

#' @rdname pa_gee
#' @export
print.summary.pa_gee <- function(x, digits = max(3L, getOption("digits") - 3L),
                                 ...) {
  cat(gee_header(x$formula, x$family, x$link, x$corstr, x$alpha, x$scale,
                 x$n_clusters, x$n_obs, x$se), sep = "\n")
  if (!isTRUE(x$converged)) cat("  (did not converge)\n")
  tab <- as.matrix(x$coefficients[c("estimate", "std_error", "statistic",
                                    "p_value")])
  dimnames(tab) <- list(x$coefficients$term,
                        c("Estimate", "Std. Error", "z value", "Pr(>|z|)"))
  cat("\n")
  stats::printCoefmat(tab, digits = digits, has.Pvalue = TRUE,
                      P.values = TRUE, signif.legend = FALSE)
  invisible(x)
}

#' @rdname pa_gee
#' @export
print.pa_gee <- function(x, digits = max(3L, getOption("digits") - 3L),
                         ...) {
  cat(gee_header(x$formula, x$family$family, x$family$link, x$corstr,
                 x$alpha, x$scale, x$n_clusters, x$n_obs, x$se), sep = "\n")
  cat("\nCoefficients:\n")
  print(format(x$coefficients, digits = digits), quote = FALSE)
  invisible(x)
}

#' @rdname pa_gee
#' @importFrom stats confint
#' @export
confint.pa_gee <- function(object, parm, level = 0.95, ...) {
  check_conf_level(level, "level")
  est <- object$coefficients
  idx <- if (missing(parm)) seq_along(est) else gee_parm(parm, names(est))
  se <- sqrt(pmax(diag(object$vcov), 0))[idx]
  a <- (1 - level) / 2
  z <- stats::qnorm(1 - a)
  out <- cbind(est[idx] - z * se, est[idx] + z * se)
  pct <- paste(format(100 * c(a, 1 - a), trim = TRUE, scientific = FALSE,
                      digits = 3), "%")
  dimnames(out) <- list(names(est)[idx], pct)
  out
}

gee_parm <- function(parm, names) {
  if (is.character(parm) && !anyNA(parm) && all(parm %in% names)) {
    return(match(parm, names))
  }
  if (is.numeric(parm) && !anyNA(parm) && all(parm >= 1) &&
      all(parm <= length(names)) && all(parm == round(parm))) {
    return(as.integer(parm))
  }
  arg_error("parm", sprintf("names or positions of coefficients (%s)",
                            format_names(names)), parm)
}

#' @rdname pa_gee
#' @importFrom stats predict
#' @export
predict.pa_gee <- function(object, newdata = NULL,
                           type = c("link", "response"), ...) {
  type <- match_choice(type, c("link", "response"), "type")
  if (is.null(newdata)) {
    eta <- object$linear_predictor
    if (is.null(eta)) {
      pa_abort(
        c("The fit keeps no fitted values of the panel's answers, so `newdata` is needed.",
          i = "Give `newdata`, or fit again with `ipw_gee(keep = \"fitted\")`."),
        class = "panelattrition_arg_error", argument = "newdata"
      )
    }
  } else {
    if (!is.data.frame(newdata)) {
      arg_error("newdata", "a data frame", newdata)
    }
    tt <- stats::delete.response(object$terms)
    mf <- tryCatch(
      stats::model.frame(tt, newdata, xlev = object$xlevels,
                         na.action = stats::na.pass),
      error = function(e) {
        pa_abort(sprintf("Cannot use `newdata`: %s", conditionMessage(e)),
                 class = "panelattrition_arg_error", argument = "newdata")
      }
    )
    x <- stats::model.matrix(tt, mf, contrasts.arg = object$contrasts)
    eta <- drop(x %*% object$coefficients)
    names(eta) <- rownames(newdata)
  }
  if (type == "response") object$family$linkinv(eta) else eta
}


#' Wald tests of model terms
#'
#' Tests that all the coefficients of a term (every dummy of a factor,
#' every column of an interaction or a spline) are zero, with the
#' statistic \eqn{b' V^{-1} b} referred to a chi-square distribution with as
#' many degrees of freedom as the term has coefficients, \eqn{V} being the
#' fit's variance (so with `se = "sandwich"` the uncertainty of the
#' weights is counted). `anova()` on a fit tests each term in turn.
#'
#' @param object A `pa_gee` object from [ipw_gee()].
#' @param terms Term labels of the model formula (as in
#'   `attr(terms(formula), "term.labels")`, for example `"wave"` or
#'   `"wave:group"`, or `"(Intercept)"`); by default every term but the
#'   intercept.
#' @param joint `TRUE` for one test that all the named terms' coefficients
#'   are zero together.
#' @param ... Unused.
#' @return A data frame with `term`, `statistic` (chi-square), `df` and
#'   `p_value`: one row per term, or one row with `joint = TRUE`.
#' @references
#' Wald, A. (1943). Tests of statistical hypotheses concerning several
#' parameters when the number of observations is large. *Transactions of
#' the American Mathematical Society*, 54, 426-482.
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' panel <- panel_data(read_waves(files, id = "id"), id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' w <- attrition_weights(panel, ~ group + gender + age, monotone = FALSE)
#' fit <- ipw_gee(self_efficacy ~ wave + group + age, w)
#' wald_test(fit)
#' wald_test(fit, c("wave", "group"), joint = TRUE)
wald_test <- function(object, terms = NULL, joint = FALSE) {
  check_required("object")
  if (!inherits(object, "pa_gee")) {
    arg_error("object", "a pa_gee object from ipw_gee()", object)
  }
  check_flag(joint, "joint")
  labels <- attr(object$terms, "term.labels")
  has_int <- attr(object$terms, "intercept") == 1L
  available <- c(if (has_int) "(Intercept)", labels)
  if (is.null(terms)) terms <- labels
  if (!is.character(terms) || length(terms) == 0L || anyNA(terms)) {
    arg_error("terms", "a character vector of term labels", terms)
  }
  unknown <- setdiff(terms, available)
  if (length(unknown)) {
    pa_abort(sprintf("%s not in the model; its terms are %s.",
                     upper_first(plural(length(unknown), "term")),
                     format_names(available)),
             class = "panelattrition_arg_error", argument = "terms",
             terms = unknown)
  }
  columns <- function(tm) {
    which(object$assign == if (tm == "(Intercept)") 0L else match(tm, labels))
  }
  test <- function(idx, label) {
    b <- object$coefficients[idx]
    v <- object$vcov[idx, idx, drop = FALSE]
    stat <- tryCatch(drop(crossprod(b, solve(v, b))),
                     error = function(e) NA_real_)
    data.frame(term = label, statistic = stat, df = length(idx),
               p_value = stats::pchisq(stat, length(idx), lower.tail = FALSE),
               stringsAsFactors = FALSE)
  }
  if (joint) {
    idx <- sort(unique(unlist(lapply(terms, columns))))
    return(test(idx, paste(terms, collapse = ", ")))
  }
  out <- do.call(rbind, lapply(terms, function(tm) test(columns(tm), tm)))
  rownames(out) <- NULL
  out
}

#' @rdname wald_test
#' @importFrom stats anova
#' @export
anova.pa_gee <- function(object, ...) {
  if (...length() > 0L) {
    pa_abort("anova() on a pa_gee fit tests its own terms; use wald_test() for a selection.",
             class = "panelattrition_arg_error")
  }
  wald_test(object)
}
