# Attrition-weighted GEE: longitudinal regression on the panel's answers,
# each answer weighted by its person's attrition weight at that wave, with
# people as clusters. The numerics are in C (src/gee.c); this file checks
# the arguments, builds the model matrix and the clusters, and turns the
# kernel's estimating-function contributions into variances with the
# stacked sandwich of variance.R.

#' Attrition-weighted generalised estimating equations
#'
#' Fits a marginal regression model for repeated outcomes by generalised
#' estimating equations (Liang and Zeger, 1986) in which every answer is
#' weighted by the answering person's attrition weight at that wave
#' (Robins, Rotnitzky and Zhao, 1995). The data are the panel's long data
#' (`weights$panel$data`): one row per person and wave answered, people are
#' the clusters, and rows are ordered by wave within people.
#'
#' @section Model:
#' With \eqn{A_i} the diagonal matrix of variance-function values, \eqn{R_i(\alpha)}
#' the working correlation and \eqn{W_i} the diagonal matrix of the
#' weights of person \eqn{i}'s answers, the coefficients solve
#' \deqn{\sum_i D_i' A_i^{-1/2} W_i^{1/2} R_i^{-1} W_i^{1/2} A_i^{-1/2}
#'   (y_i - \mu_i) = 0,}{sum_i D_i' A_i^(-1/2) W_i^(1/2) R_i^(-1)
#'   W_i^(1/2) A_i^(-1/2) (y_i - mu_i) = 0,}
#' which is how `geepack::geeglm()` uses its `weights` argument. With
#' `corstr = "independence"` this is the weighted GLM score, so the
#' estimates are those of `glm(..., weights = w)` and of
#' `geeglm(..., weights = w, corstr = "independence")`.
#'
#' The scale and the correlation parameter are geepack's weighted moment
#' estimators, with Pearson residuals \eqn{r} and \eqn{e = r / \phi^{1/2}}:
#' * scale \eqn{\phi = \sum w_j r_j^2 / \sum w_j} over all answers (no
#'   degrees-of-freedom correction; estimated for every family);
#' * `"exchangeable"`: \eqn{\alpha = \sum w_j w_k e_j e_k / \sum w_j w_k} over
#'   all pairs of answers of the same person;
#' * `"ar1"`: \eqn{\mathrm{corr}(y_j, y_k) = \alpha^{|t_j - t_k|}}{corr(y_j, y_k) = alpha^|t_j - t_k|},
#'   where \eqn{t} is the wave's position in the panel's waves, so a
#'   person who skipped a wave has answers two lags apart (gaps count);
#'   \eqn{\alpha} solves \eqn{\sum w_j w_k E_{jk} (e_j e_k - \alpha^{d_{jk}}) = 0}
#'   over all pairs, \eqn{d_{jk} = |t_j - t_k|} and \eqn{E_{jk} = d\alpha^{d_{jk}}/d\alpha},
#'   solved by Gauss-Newton steps alternating with the coefficients.
#'   (`geeglm()` gives the same estimates when called with
#'   `waves = <wave index>`; without `waves` it takes positions within the
#'   person, which ignores gaps.)
#'
#' The fit first solves the independence equations (the weighted GLM, by
#' Fisher scoring from glm's starting values). For a correlated working
#' structure it then looks for the value of \eqn{\alpha} that reproduces
#' itself: the coefficients are solved at \eqn{\alpha}, the scale and the
#' correlation re-estimated from them, and \eqn{\alpha} moved by secant steps
#' until the re-estimate equals it and the coefficients no longer change
#' (the largest change in a coefficient, relative to \eqn{\max(|\beta|, 1)},
#' and the change in \eqn{\alpha} below `control$epsilon`). geepack
#' alternates single updates instead; the solution is the same. An
#' exchangeable estimate outside \eqn{(-1/(m - 1), 1)} (\eqn{m} the largest
#' number of answers of a person), where the working correlation is not
#' positive definite, is an error (geepack carries on with it).
#'
#' @section Variances:
#' Both are sandwich (robust) variances with people as clusters and the
#' correlation parameter and scale treated as fixed, as geepack's `san.se`
#' is; like geepack, neither uses a small-sample factor (no
#' \eqn{n/(n-1)}), so they differ by that factor from the variances of
#' [wave_means()].
#' * `se = "naive"` treats the weights as known:
#'   \eqn{B^{-1} (\sum_i U_i U_i') B^{-1}} with \eqn{B = \sum_i D_i' V_i^{-1} W_i D_i}
#'   (weights placed as above) and \eqn{U_i} person \eqn{i}'s contribution to
#'   the estimating equation. This equals `geeglm()`'s robust variance.
#' * `se = "sandwich"` (default) also counts the estimation of the
#'   weights: the estimating equations of every response model (or
#'   calibration) behind the weights are stacked with the GEE (see
#'   [wave_means()]), using the derivative of each \eqn{U_i} with respect to
#'   each of person \eqn{i}'s weights. Under independence \eqn{U_i} is linear in
#'   each weight; under an exchangeable or AR(1) working correlation the
#'   weights enter through \eqn{W_i^{1/2}} on both sides of \eqn{R_i^{-1}} and
#'   the derivative is taken with \eqn{\alpha} and \eqn{\phi} fixed.
#'
#' In both, the "bread" is the expected derivative \eqn{-B} (Fisher
#' scoring), as in geepack; for the canonical links used here with
#' independence it is also the observed derivative.
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
#' @param weights A `pa_weights` object from [attrition_weights()].
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
#' @param control `list(maxit, epsilon)`: scoring iterations allowed for
#'   each solve for the coefficients (and updates of the correlation), and
#'   the convergence tolerance.
#'
#' @return An object of class `pa_gee`: a list with `coefficients`,
#'   `vcov` (the `se` variance), `vcov_model` (the model-based
#'   \eqn{\phi B^{-1}}), `influence` (people by coefficients: the variance is its
#'   cross-product), `alpha`, `scale`, `fitted` and `linear_predictor`
#'   (in the order of the panel's data), `n_clusters`, `n_obs`, the
#'   settings and what [predict.pa_gee()] needs. Use `coef()`, `vcov()`,
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
ipw_gee <- function(formula, weights, family = stats::gaussian(),
                    corstr = c("independence", "exchangeable", "ar1"),
                    se = c("sandwich", "naive"), data = NULL,
                    control = list(maxit = 50, epsilon = 1e-10),
                    min_n = getOption("panelattrition.min_n", 5)) {
  if (!inherits(weights, "pa_weights")) {
    arg_error("weights", "a pa_weights object from attrition_weights()",
              weights)
  }
  fam <- gee_family(family)
  corstr <- match_choice(corstr, c("independence", "exchangeable", "ar1"),
                         "corstr")
  se <- match_choice(se, c("sandwich", "naive"), "se")
  ctrl <- gee_control(control)
  check_min_n(min_n)
  if (!inherits(formula, "formula") || length(formula) != 3L) {
    arg_error("formula", "a two-sided formula such as y ~ wave + group",
              formula)
  }

  panel <- weights$panel
  rows <- panel_rows(weights)
  vars <- all.vars(formula)
  model_data <- gee_data(panel, rows, data, vars)
  absent <- setdiff(vars, names(model_data))
  if (length(absent)) {
    pa_abort(
      sprintf("%s not in the panel's data or baseline covariates: %s.",
              upper_first(plural(length(absent), "variable")),
              format_names(absent)),
      class = "panelattrition_arg_error", argument = "formula",
      variables = absent
    )
  }
  n_na <- vapply(model_data[vars], function(v) sum(is.na(v)), numeric(1))
  if (any(n_na > 0)) {
    bad <- n_na[n_na > 0]
    pa_abort(
      sprintf(paste("Missing values in the model's variables among the",
                    "panel's answers: %s. ipw_gee() does not drop answers;",
                    "impute the values or remove the variables."),
              paste0("`", names(bad), "` (", bad, ")", collapse = ", ")),
      class = "panelattrition_missing_error", variables = names(bad),
      counts = unname(bad)
    )
  }

  # clusters: people, answers in wave order within each (the order of the
  # panel's data already, unless it was changed)
  ord <- order(rows$person, rows$wave)
  in_order <- identical(ord, seq_along(ord))
  if (!in_order) rows <- rows[ord, , drop = FALSE]
  build_error <- function(e) {
    pa_abort(sprintf("Cannot build the model matrix of `formula`: %s",
                     conditionMessage(e)),
             class = "panelattrition_arg_error", argument = "formula")
  }
  mf <- tryCatch(
    stats::model.frame(formula,
                       data = if (in_order) model_data[vars] else
                         model_data[ord, vars, drop = FALSE],
                       # missing values were refused above
                       na.action = stats::na.pass,
                       drop.unused.levels = TRUE),
    error = build_error
  )
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
  x <- tryCatch(stats::model.matrix(mt, mf), error = build_error)
  if (!is.double(x)) storage.mode(x) <- "double"
  # column sums screen for non-finite values without an n x p logical
  if (!all(is.finite(colSums(x))) && any(!is.finite(x))) {
    pa_abort("The model matrix has infinite values.",
             class = "panelattrition_arg_error", argument = "formula")
  }
  full <- surely_full_rank(x)
  qx <- if (!full) qr(x)
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
  check_model_cells(x, mf, rows$person, min_n)
  wt <- weights$weights[cbind(rows$person, rows$wave)]
  if (anyNA(wt) || any(!is.finite(wt)) || any(wt <= 0)) {
    pa_abort(
      sprintf(paste("%d of the panel's answers have no positive attrition",
                    "weight; were the weights built on this panel?"),
              sum(is.na(wt) | !is.finite(wt) | wt <= 0)),
      class = "panelattrition_arg_error", argument = "weights"
    )
  }
  size <- rle(rows$person)$lengths

  fit <- .Call(C_gee_fit, x, as.double(y), as.double(wt),
               as.double(rows$wave), as.integer(size),
               match(fam$name, c("gaussian", "binomial", "poisson")) - 1L,
               match(corstr, c("independence", "exchangeable", "ar1")) - 1L,
               c(ctrl$maxit, ctrl$epsilon))
  switch(fit$status,
    ok = ,
    not_converged = NULL,
    no_pairs = pa_abort(
      sprintf(paste("`corstr = \"%s\"` needs people who answered at least",
                    "two waves; nobody did. Use `corstr = \"independence\"`."),
              corstr),
      class = "panelattrition_model_error", argument = "corstr"
    ),
    correlation = pa_abort(
      sprintf(paste("The estimated %s correlation (alpha = %s) gives a",
                    "working correlation matrix that is not positive",
                    "definite. This happens when the outcome's variance",
                    "differs much between waves or its correlation is",
                    "close to 1; use `corstr = \"%s\"` or",
                    "`\"independence\"`."),
              corstr, format(fit$alpha, digits = 4),
              if (corstr == "ar1") "exchangeable" else "ar1"),
      class = "panelattrition_model_error", argument = "corstr",
      alpha = fit$alpha
    ),
    pa_abort(sprintf("The GEE fit failed: %s.", fit$message),
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

  names_x <- colnames(x)
  coefficients <- stats::setNames(fit$coefficients, names_x)
  infl <- gee_influence(weights, fit, rows, se == "sandwich")
  vc <- xt_a(infl, infl)
  dimnames(vc) <- list(names_x, names_x)
  colnames(infl) <- names_x
  rownames(infl) <- rownames(weights$weights)
  vc_model <- fit$scale * solve(fit$bread)
  dimnames(vc_model) <- list(names_x, names_x)

  # fitted values back in the order of the panel's data
  fitted <- numeric(nrow(rows))
  lp <- numeric(nrow(rows))
  fitted[rows$row] <- fit$fitted
  lp[rows$row] <- fit$linear_predictor

  structure(
    list(
      coefficients = coefficients, vcov = vc, vcov_model = vc_model,
      influence = infl, alpha = if (corstr == "independence") NA_real_ else fit$alpha,
      scale = fit$scale, fitted = fitted, linear_predictor = lp,
      family = fam$family, corstr = corstr, se = se,
      n_clusters = length(size), n_obs = nrow(rows),
      iterations = fit$iterations, converged = fit$converged,
      formula = formula, terms = mt, assign = attr(x, "assign"),
      xlevels = stats::.getXlevels(mt, mf),
      contrasts = attr(x, "contrasts"), call = match.call()
    ),
    class = "pa_gee"
  )
}

# TRUE when every column of x keeps more than a 1e-6 share of its sum of
# squares after projection on the columns before it (the squared diagonal
# of the Cholesky factor of the scaled X'X): qr() would then find full rank
# at any tolerance it uses (1e-7 on the norm), so it can be skipped. FALSE
# means only "not sure".
surely_full_rank <- function(x) {
  xtx <- xt_a(x, x)
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

gee_control <- function(control) {
  if (!is.list(control)) arg_error("control", "a list(maxit, epsilon)", control)
  unknown <- setdiff(names(control), c("maxit", "epsilon"))
  if (length(unknown) || (length(control) && is.null(names(control)))) {
    pa_abort(
      sprintf("`control` must be a list with elements `maxit` and `epsilon`; %s is not one.",
              if (length(unknown)) sprintf("`%s`", unknown[1L]) else "an unnamed element"),
      class = "panelattrition_arg_error", argument = "control"
    )
  }
  maxit <- control$maxit %||% 50
  epsilon <- control$epsilon %||% 1e-10
  if (!is.numeric(maxit) || length(maxit) != 1L || is.na(maxit) ||
      maxit < 1 || maxit != round(maxit) || maxit > .Machine$integer.max) {
    arg_error("control$maxit", "a positive whole number", maxit)
  }
  if (!is.numeric(epsilon) || length(epsilon) != 1L || is.na(epsilon) ||
      !is.finite(epsilon) || epsilon <= 0) {
    arg_error("control$epsilon", "a positive number", epsilon)
  }
  list(maxit = as.double(maxit), epsilon = as.double(epsilon))
}

# The panel's answers with the person's baseline covariates alongside (for
# those not already columns, and among `vars`, the model's variables), and
# the columns of `data` on top.
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
  if (any(!is.finite(y))) {
    pa_abort(sprintf("The response `%s` has infinite values.", label),
             class = "panelattrition_arg_error", argument = "formula")
  }
  as.numeric(y)
}

# Influence values of the coefficients, people by coefficients. The
# estimating function of person i is the kernel's score row; its derivative
# with respect to i's weight at wave t is the kernel's dscores row for that
# answer, which is what estimate_influence() chains to the response models.
gee_influence <- function(w, fit, rows, sandwich) {
  n <- nrow(w$weights)
  p <- ncol(fit$scores)
  people <- rows$person[!duplicated(rows$person)]
  phi <- matrix(0, n, p)
  phi[people, ] <- fit$scores
  dphi_dw <- vector("list", ncol(w$weights))
  for (t in if (sandwich) unique(rows$wave)) {
    at <- rows$wave == t
    # only the wave's answers: each person once
    dphi_dw[[t]] <- list(rows = rows$person[at],
                         m = fit$dscores[at, , drop = FALSE])
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
#' predictor or the mean, for the panel's answers or new data; `tidy()`
#' the coefficient table in the broom convention.
#'
#' @param object,x A `pa_gee` object from [ipw_gee()] (or its summary).
#' @param parm Coefficients for `confint()`: names or positions; all by
#'   default.
#' @param level,conf.level Confidence level.
#' @param conf.int For `tidy()`: add `conf.low` and `conf.high`.
#' @param newdata Optional data frame with the model's covariates; `NULL`
#'   for the panel's answers (in the order of the panel's data).
#' @param type `"link"` (linear predictor) or `"response"` (mean).
#' @param digits Significant digits to print.
#' @param ... Unused.
#' @return `summary()`: a `summary.pa_gee` list whose `coefficients` is a
#'   data frame (`term`, `estimate`, `std_error`, `statistic`, `p_value`);
#'   `confint()`: a matrix with one row per coefficient; `predict()`: a
#'   numeric vector; `tidy()`: a data frame with `term`, `estimate`,
#'   `std.error`, `statistic`, `p.value` (and `conf.low`, `conf.high`).
#'   `print()` methods return their argument invisibly.
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
#' head(predict(fit))
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
  check_level(level, "level")
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

check_level <- function(x, arg) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x <= 0 || x >= 1) {
    arg_error(arg, "a number between 0 and 1", x)
  }
  invisible(x)
}

#' @rdname pa_gee
#' @importFrom stats predict
#' @export
predict.pa_gee <- function(object, newdata = NULL,
                           type = c("link", "response"), ...) {
  type <- match_choice(type, c("link", "response"), "type")
  if (is.null(newdata)) {
    eta <- object$linear_predictor
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

#' @rdname pa_gee
#' @exportS3Method generics::tidy
tidy.pa_gee <- function(x, conf.int = FALSE, conf.level = 0.95, ...) {
  tab <- gee_table(x)
  out <- data.frame(term = tab$term, estimate = tab$estimate,
                    std.error = tab$std_error, statistic = tab$statistic,
                    p.value = tab$p_value, stringsAsFactors = FALSE)
  if (isTRUE(conf.int)) {
    ci <- confint.pa_gee(x, level = conf.level)
    out$conf.low <- unname(ci[, 1])
    out$conf.high <- unname(ci[, 2])
  }
  out
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
