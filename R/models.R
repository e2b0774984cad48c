# Response models: weighted logistic regression, by maximum likelihood or
# by Firth's penalised likelihood, in C (src/logit.c). fit_logit() is the
# one entry point; attrition_weights() and the variance estimators call it
# with a model matrix they have built, and it turns the kernel's statuses
# into classed conditions that name the stage and the variables.

#' Fit a weighted logistic response model
#'
#' @param x Numeric model matrix, one row per person, with column names.
#' @param y 0/1 (or logical) response: answered the wave or not.
#' @param weights Prior weights, finite and >= 0; `NULL` for all ones. Rows
#'   with weight 0 take no part in the fit but still get fitted values.
#' @param offset Offset on the logit scale; `NULL` for none.
#' @param method `"logit"` for maximum likelihood, `"firth"` for Firth's
#'   (1993) Jeffreys-prior penalised likelihood, as `brglm2::brglmFit()`
#'   with `type = "MPL_Jeffreys"` fits it.
#' @param control List with `maxit` and `epsilon` (relative change in the
#'   deviance, penalised for Firth, at which the iteration stops).
#' @param stage Name of the stage (a wave such as `"T2"`) for messages.
#' @param scores Whether to return the n x p `scores`; without them the
#'   fit keeps only `residuals`, from which `x * residuals` rebuilds them.
#' @return A list: `coefficients`, `vcov` (inverse information),
#'   `std_error`, `fitted`, `linear_predictor`, `deviance`, `iterations`,
#'   `converged`, `scores` (n x p estimating-function contributions, or
#'   `NULL`), `residuals` (the n factors r_i with score_i = r_i x_i),
#'   `information` (X' diag(w p (1 - p)) X) and `method`.
#' @noRd
fit_logit <- function(x, y, weights = NULL, offset = NULL,
                      method = c("logit", "firth"),
                      control = list(maxit = 100, epsilon = 1e-10),
                      stage = NULL, scores = TRUE) {
  if (!is.matrix(x) || !(is.numeric(x) || is.logical(x))) {
    arg_error("x", "a numeric matrix", x)
  }
  n <- nrow(x)
  p <- ncol(x)
  if (n == 0L || p == 0L) {
    arg_error("x", "a matrix with at least one row and one column", x)
  }
  if (is.logical(y)) y <- as.numeric(y)
  if (!is.numeric(y) || length(y) != n) {
    arg_error("y", sprintf("a 0/1 vector of length %d (nrow(x))", n), y)
  }
  if (anyNA(y) || any(y != 0 & y != 1)) {
    bad <- which(is.na(y) | (y != 0 & y != 1))
    pa_abort(
      sprintf("`y` must contain only 0 and 1; element %d is %s.",
              bad[1L], format(y[bad[1L]])),
      class = "panelattrition_arg_error", argument = "y"
    )
  }
  if (is.null(weights)) {
    weights <- rep(1, n)
  } else if (!is.numeric(weights) || length(weights) != n) {
    arg_error("weights", sprintf("a numeric vector of length %d", n),
              weights)
  } else if (anyNA(weights) || any(!is.finite(weights)) ||
             any(weights < 0)) {
    bad <- which(!is.finite(weights) | weights < 0)[1L]
    pa_abort(
      sprintf("`weights` must be finite and non-negative; element %d is %s.",
              bad, format(weights[bad])),
      class = "panelattrition_arg_error", argument = "weights"
    )
  } else if (!any(weights > 0)) {
    pa_abort("`weights` must have at least one positive value.",
             class = "panelattrition_arg_error", argument = "weights")
  }
  if (is.null(offset)) {
    offset <- rep(0, n)
  } else if (!is.numeric(offset) || length(offset) != n ||
             anyNA(offset) || any(!is.finite(offset))) {
    arg_error("offset", sprintf("a finite numeric vector of length %d", n),
              offset)
  }
  if (!is.character(method) || length(method) < 1L) {
    arg_error("method", "\"logit\" or \"firth\"", method)
  }
  if (identical(method, c("logit", "firth"))) method <- "logit"
  if (length(method) != 1L || is.na(method) ||
      !method %in% c("logit", "firth")) {
    arg_error("method", "\"logit\" or \"firth\"", method)
  }
  ctrl <- check_control(control)
  check_string(stage, "stage", null_ok = TRUE)
  if (!is.double(x)) storage.mode(x) <- "double"
  run_logit_fit(x, as.double(y), as.double(weights), as.double(offset),
                method, ctrl, stage, scores)
}

# fit_logit() for the response model of a stage of attrition_weights(),
# whose inputs are valid by construction: x a double matrix with column
# names from stage_matrix(), y 0/1, the weights positive base weights, no
# offset. The scans of y and of the weights are left to the C kernel,
# which checks them too; anything unexpected takes fit_logit()'s checks.
fit_stage_logit <- function(x, y, weights, method, control, stage) {
  n <- nrow(x)
  if (!is.matrix(x) || !is.double(x) || !isTRUE(n > 0L) || ncol(x) == 0L ||
      !is.double(y) || length(y) != n || !is.double(weights) ||
      length(weights) != n ||
      !(identical(method, "logit") || identical(method, "firth"))) {
    return(fit_logit(x, y, weights = weights, method = method,
                     control = control, stage = stage, scores = FALSE))
  }
  ctrl <- check_control(control)
  check_string(stage, "stage", null_ok = TRUE)
  run_logit_fit(x, y, weights, NULL, method, ctrl, stage, scores = FALSE)
}

# The C fit on checked and coerced inputs (`offset` NULL for none), its
# statuses turned into classed conditions.
run_logit_fit <- function(x, y, weights, offset, method, ctrl, stage,
                          scores) {
  names_x <- logit_column_names(x)
  fit <- .Call(C_logit_fit, x, y, weights, offset, method == "firth",
               c(ctrl$maxit, ctrl$epsilon, pa_threads(), isTRUE(scores)))

  where <- if (is.null(stage)) {
    "the response model"
  } else {
    sprintf("the response model for %s", stage)
  }
  involved <- names_x[fit$columns]
  # the kernel checks x itself and flags the first column that is not finite
  if (identical(fit$status, "invalid") && length(involved)) {
    pa_abort(
      sprintf("`x` must contain only finite values; column %s does not.",
              involved[1L]),
      class = "panelattrition_arg_error", argument = "x"
    )
  }
  if (identical(fit$status, "collinear") && length(involved) == 0L) {
    pa_abort(
      sprintf(paste0(
        "In %s, the columns of the model matrix are so close to linearly ",
        "dependent that the information matrix is singular. Remove ",
        "redundant terms or merge sparse categories."), where),
      class = "panelattrition_collinear_error",
      stage = stage, variables = character()
    )
  }
  switch(fit$status,
    ok = ,
    not_converged = NULL,
    collinear = pa_abort(
      sprintf(paste0(
        "In %s, %s %s linearly dependent on the other columns of the ",
        "model matrix, so %s cannot be estimated. Remove %s or merge ",
        "sparse categories."),
        where, logit_quote_names(involved),
        if (length(involved) == 1L) "is" else "are",
        if (length(involved) == 1L) "its coefficient" else "their coefficients",
        if (length(involved) == 1L) "it" else "them"),
      class = "panelattrition_collinear_error",
      stage = stage, variables = involved
    ),
    separation = pa_abort(
      sprintf(paste0(
        "Complete or quasi-complete separation in %s: the coefficient%s of ",
        "%s grow%s without bound and some fitted probabilities are 0 or 1, ",
        "so maximum likelihood estimates do not exist. Use ",
        "`method = \"firth\"` for finite penalised estimates, or merge the ",
        "categories in which everyone (or no one) answered."),
        where,
        if (length(involved) == 1L) "" else "s", logit_quote_names(involved),
        if (length(involved) == 1L) "s" else ""),
      class = "panelattrition_separation_error",
      stage = stage, variables = involved
    ),
    pa_abort(
      sprintf("Fitting %s failed: %s.", where, fit$message),
      class = "panelattrition_model_error", stage = stage
    )
  )
  if (identical(fit$status, "not_converged")) {
    pa_warn(
      sprintf(paste0(
        "%s did not converge (%s); its estimates are from the last ",
        "iteration. Increase `control$maxit`, simplify the model, or use ",
        "`method = \"firth\"`."),
        paste0(toupper(substring(where, 1L, 1L)), substring(where, 2L)),
        fit$message),
      class = "panelattrition_convergence_warning", stage = stage
    )
  }

  coefficients <- stats::setNames(fit$coefficients, names_x)
  dimnames(fit$vcov) <- list(names_x, names_x)
  dimnames(fit$information) <- list(names_x, names_x)
  if (!is.null(fit$scores)) colnames(fit$scores) <- names_x
  list(
    coefficients = coefficients,
    vcov = fit$vcov,
    std_error = stats::setNames(sqrt(diag(fit$vcov)), names_x),
    fitted = fit$fitted,
    linear_predictor = fit$linear_predictor,
    deviance = fit$deviance,
    iterations = fit$iterations,
    converged = fit$converged,
    scores = fit$scores,
    residuals = fit$residuals,
    information = fit$information,
    method = method
  )
}

logit_column_names <- function(x) {
  nms <- colnames(x)
  if (is.null(nms)) nms <- paste0("x", seq_len(ncol(x)))
  nms[is.na(nms) | nms == ""] <- paste0("x", which(is.na(nms) | nms == ""))
  nms
}

logit_quote_names <- function(x) {
  x <- sprintf("`%s`", x)
  if (length(x) <= 1L) return(paste(x, collapse = ""))
  paste(paste(x[-length(x)], collapse = ", "), "and", x[length(x)])
}
