# Tables for R Markdown and Quarto: knit_print() methods (knitr is only
# suggested) render results as real tables (HTML or LaTeX, as the document
# is), with the numbers formatted for reading: p-values "< 0.001" rather
# than 0, intervals as one column, suppressed cells written "suppressed".

format_p <- function(p) {
  ifelse(is.na(p), "", ifelse(p < 0.001, "< 0.001", sprintf("%.3f", p)))
}

format_number <- function(x, digits = 3) {
  out <- formatC(signif(x, digits), format = "fg", digits = digits,
                 big.mark = ",", flag = "#")
  out <- sub("\\.$", "", trimws(out))
  ifelse(is.na(x), "", out)
}

format_count <- function(x) {
  ifelse(is.na(x), "", formatC(round(x), format = "d", big.mark = ","))
}

format_interval <- function(lo, hi, digits = 3) {
  ifelse(is.na(lo) | is.na(hi), "",
         sprintf("%s to %s", format_number(lo, digits), format_number(hi, digits)))
}

# A result as a data frame of text, ready for kable() or for a report.
display_table <- function(x, digits = 3) {
  UseMethod("display_table")
}

#' @export
display_table.default <- function(x, digits = 3) {
  df <- as.data.frame(x)
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], format_number, digits = digits)
  df
}

estimate_display <- function(df, keys, conf_level, digits, extra = NULL) {
  out <- df[keys]
  for (k in keys) out[[k]] <- pretty_name(as.character(out[[k]]))
  supp <- if ("suppressed" %in% names(df)) df$suppressed else
    rep(FALSE, nrow(df))
  out$estimate <- ifelse(supp, "suppressed", format_number(df$estimate, digits))
  if ("std_error" %in% names(df)) {
    out[["std. error"]] <- format_number(df$std_error, digits)
  }
  out[[sprintf("%g%% interval", 100 * conf_level)]] <-
    format_interval(df$conf_low, df$conf_high, digits)
  for (e in names(extra)) out[[e]] <- extra[[e]]
  rownames(out) <- NULL
  out
}

#' @export
display_table.pa_estimates <- function(x, digits = 3) {
  df <- as.data.frame(x)
  keys <- setdiff(key_column_names(df, attr(x, "by")), character())
  if ("level" %in% keys && all(is.na(df$level))) keys <- setdiff(keys, "level")
  extra <- list(n = format_count(df$n), `effective n` = format_count(df$n_eff))
  if ("p_value" %in% names(df)) extra$p <- format_p(df$p_value)
  estimate_display(df, keys, attr(x, "conf_level") %||% 0.95, digits, extra)
}

#' @export
display_table.pa_comparison <- function(x, digits = 3) {
  df <- x
  class(df) <- "data.frame"
  keys <- intersect(c("outcome", "level", "from", "wave", "contrast"),
                    names(df))
  estimate_display(df, keys, attr(x, "conf_level") %||% 0.95, digits,
                   list(p = format_p(df$p_value),
                        `p (adjusted)` = format_p(df$p_adjusted)))
}

#' @export
display_table.pa_tipping <- function(x, digits = 3) {
  tip <- attr(x, "tipping")
  keys <- setdiff(names(tip), c("estimate", "null", "criterion", "conclusion",
                                "tipping_delta", "direction", "note"))
  out <- tip[keys]
  for (k in keys) out[[k]] <- pretty_name(as.character(out[[k]]))
  out$estimate <- ifelse(is.na(tip$estimate), "suppressed",
                         format_number(tip$estimate, digits))
  out$`at delta = 0` <- tip$conclusion
  out$`tipping delta` <- ifelse(is.na(tip$tipping_delta), "none in range",
                                format_number(tip$tipping_delta, digits))
  rownames(out) <- NULL
  out
}

#' @export
display_table.pa_tilt <- function(x, digits = 3) {
  df <- x
  class(df) <- "data.frame"
  estimate_display(df, intersect(c("alpha", "wave", "group"), names(df)),
                   attr(x, "conf_level") %||% 0.95, digits)
}

#' @export
display_table.pa_bounds <- function(x, digits = 3) {
  df <- x
  class(df) <- "data.frame"
  keys <- intersect(c("wave", "group"), names(df))
  out <- df[keys]
  out$bounds <- ifelse(df$suppressed, "suppressed",
                       format_interval(df$lower, df$upper, digits))
  out[[sprintf("%g%% interval", 100 * (attr(x, "conf_level") %||% 0.95))]] <-
    format_interval(df$conf_low, df$conf_high, digits)
  out$`respondents' share` <- format_number(df$mean_observed, digits)
  rownames(out) <- NULL
  out
}

#' @export
display_table.pa_gee <- function(x, digits = 3) {
  td <- tidy.pa_gee(x, conf.int = TRUE)
  data.frame(term = td$term, estimate = format_number(td$estimate, digits),
             `std. error` = format_number(td$std.error, digits),
             `95% interval` = format_interval(td$conf.low, td$conf.high, digits),
             p = format_p(td$p.value), check.names = FALSE)
}

#' @export
display_table.pa_weights <- function(x, digits = 3) {
  s <- summary.pa_weights(x)
  data.frame(wave = s$wave, respondents = format_count(s$n),
             `effective n` = format_count(s$ess),
             `median weight` = format_number(s$median, digits),
             `largest weight` = format_number(s$max, digits),
             `coefficient of variation` = format_number(s$cv, digits),
             check.names = FALSE)
}

#' @export
display_table.pa_flow <- function(x, digits = 3) {
  df <- x
  class(df) <- "data.frame"
  data.frame(group = df$group, wave = df$wave,
             started = format_count(df$started),
             answered = ifelse(df$suppressed, "suppressed",
                               format_count(df$answered)),
             `% of starters` = ifelse(df$suppressed, "",
                                      sprintf("%.0f%%", df$percent)),
             check.names = FALSE)
}

table_caption <- function(x) {
  if (inherits(x, "pa_gee")) {
    return(sprintf("Weighted GEE: %s", deparse1(x$formula)))
  }
  if (inherits(x, "pa_weights")) return("Attrition weights by wave")
  if (inherits(x, "pa_flow")) return("Who answered at each wave")
  if (inherits(x, "pa_comparison")) {
    return(sprintf("Differences between groups of %s (p-values adjusted: %s)",
                   attr(x, "by") %||% "", attr(x, "adjust") %||% "none"))
  }
  if (inherits(x, "pa_tipping")) return("Tipping points")
  if (inherits(x, "pa_tilt")) return("Exponential tilting")
  if (inherits(x, "pa_bounds")) return("Worst-case bounds")
  if (inherits(x, "pa_estimates")) {
    return(sprintf("%s; %s", upper_first(pretty_name(attr(x, "kind") %||% "estimates")),
                   sub(";.*", "", estimates_note(x))))
  }
  NULL
}

#' Tables in R Markdown and Quarto
#'
#' In a knitted document, printing a result of the package (an estimate
#' table, a comparison, tipping points, tilting, bounds, a GEE fit, the
#' weights, a response flow) gives a real table, formatted for reading:
#' intervals in one column, p-values below 0.001 shown as "< 0.001",
#' counts with thousands separators and suppressed cells written
#' "suppressed". The format (HTML, LaTeX, Markdown) follows the document.
#' Use `print()` for the console view.
#'
#' @param x A result of the package.
#' @param options Chunk options (from knitr).
#' @param ... Passed to [knitr::kable()] (for example `digits` or
#'   `caption`).
#' @return A `knit_asis` object.
#' @name pa_knit_print
#' @keywords internal
NULL

knit_table <- function(x, ...) {
  args <- list(...)
  digits <- args$digits %||% 3
  args$digits <- NULL
  df <- display_table(x, digits = digits)
  args <- utils::modifyList(list(x = df, caption = table_caption(x),
                                 row.names = FALSE,
                                 align = ifelse(vapply(names(df), function(n) {
                                   n %in% c("estimate", "std. error", "n",
                                            "effective n", "p", "p (adjusted)",
                                            "respondents", "started",
                                            "answered")
                                 }, logical(1)), "r", "l")), args)
  knitr::knit_print(do.call(knitr::kable, args))
}

#' @rdname pa_knit_print
#' @exportS3Method knitr::knit_print
knit_print.pa_estimates <- function(x, options = NULL, ...) knit_table(x, ...)

#' @rdname pa_knit_print
#' @exportS3Method knitr::knit_print
knit_print.pa_comparison <- function(x, options = NULL, ...) knit_table(x, ...)

#' @rdname pa_knit_print
#' @exportS3Method knitr::knit_print
knit_print.pa_tipping <- function(x, options = NULL, ...) knit_table(x, ...)

#' @rdname pa_knit_print
#' @exportS3Method knitr::knit_print
knit_print.pa_tilt <- function(x, options = NULL, ...) knit_table(x, ...)

#' @rdname pa_knit_print
#' @exportS3Method knitr::knit_print
knit_print.pa_bounds <- function(x, options = NULL, ...) knit_table(x, ...)

#' @rdname pa_knit_print
#' @exportS3Method knitr::knit_print
knit_print.pa_gee <- function(x, options = NULL, ...) knit_table(x, ...)

#' @rdname pa_knit_print
#' @exportS3Method knitr::knit_print
knit_print.pa_weights <- function(x, options = NULL, ...) knit_table(x, ...)

#' @rdname pa_knit_print
#' @exportS3Method knitr::knit_print
knit_print.pa_flow <- function(x, options = NULL, ...) knit_table(x, ...)
