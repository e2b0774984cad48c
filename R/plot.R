# Base-graphics plots of every result, for reports.
#
# Conventions shared by every method here:
# * the user's graphical arguments (`main`, `xlab`, `ylab`, `xlim`, `ylim`,
#   `las`, `cex.main`, ...) replace the method's defaults instead of
#   clashing with them: the frame of each panel is drawn by do.call() on
#   the defaults modified by `...`;
# * in plots of several panels, `main` titles the whole figure and each
#   panel keeps its own label;
# * legends and notes go below the panels, in the outer margin, never over
#   the data;
# * suppressed cells are drawn as a grey cross with "suppressed" in the
#   legend, never left out and never drawn as zero;
# * `type` is checked against the types the method draws.

# Shared machinery -------------------------------------------------------------

plot_type <- function(type, choices, default = choices[1L]) {
  if (is.null(type)) return(default)
  match_choice(type, choices, "type")
}

# The frame of one panel: defaults overridden by the user's arguments.
plot_frame <- function(dots, ...) {
  args <- utils::modifyList(list(x = NA, type = "n", ...), dots)
  do.call(graphics::plot, args)
}

# Start a figure of `k` panels, with `below` lines under them for the
# legend and notes and room above for an overall title. Returns the old
# settings for on.exit().
figure_begin <- function(k, below = 0, main = NULL,
                         mar = c(4.1, 4.1, 2.4, 1.1)) {
  old <- graphics::par(c("mfrow", "oma", "mar"))
  dims <- if (k <= 3L) c(1L, k) else grDevices::n2mfrow(k)
  graphics::par(mfrow = dims, mar = mar,
                oma = c(below, 0, if (length(main) && nzchar(main)) 2.2 else 0, 0))
  old
}

figure_title <- function(main) {
  if (length(main) && nzchar(main)) {
    graphics::mtext(main, side = 3, outer = TRUE, line = 0.6, font = 2,
                    cex = 1.15)
  }
}

# Columns for a legend below the panels: as many as fit the device's
# width, at most four.
legend_columns <- function(legend) {
  n <- length(legend)
  if (!n) return(1L)
  colw <- max(graphics::strwidth(legend, units = "inches", cex = 0.85)) + 0.5
  fit <- floor(0.95 * graphics::par("din")[1L] / colw)
  as.integer(max(1L, min(n, 4L, fit)))
}

# A note wrapped to the device's width.
wrap_note <- function(note) {
  if (!length(note)) return(note)
  width <- max(30L, floor(graphics::par("din")[1L] * 12))
  paste(strwrap(note, width = width), collapse = "\n")
}

# Lines needed under the panels for a legend (its labels, or a number of
# short ones) and a note.
below_lines <- function(legend, note = NULL) {
  if (is.numeric(legend)) legend <- rep("a label", legend)
  n <- length(legend)
  rows <- if (n > 0L) ceiling(n / legend_columns(legend)) else 0
  note_lines <- if (length(note)) {
    length(strsplit(wrap_note(note), "\n", fixed = TRUE)[[1L]])
  } else 0
  rows * 1.05 + note_lines * 0.95 + if (length(note)) 0.7 else 0.4
}

# The legend (and a note as its title) in the outer margin below the
# panels, clear of the data.
legend_below <- function(legend = character(), note = NULL, ...) {
  ncol <- legend_columns(legend)
  note <- wrap_note(note)
  op <- graphics::par(fig = c(0, 1, 0, 1), oma = c(0, 0, 0, 0),
                      mar = c(0, 0, 0, 0), new = TRUE)
  on.exit(graphics::par(op))
  graphics::plot.new()
  if (!length(legend)) {
    if (length(note)) {
      lines <- strsplit(note, "\n", fixed = TRUE)[[1L]]
      graphics::mtext(rev(lines), side = 1,
                      line = -0.4 - seq_along(lines) * 0.95,
                      cex = 0.8, col = "grey25")
    }
    return(invisible())
  }
  # equal columns as wide as the widest label, with room to breathe
  tw <- 1.1 * max(graphics::strwidth(legend, cex = 0.85))
  graphics::legend("bottom", legend = legend, ncol = ncol, bty = "n",
                   xpd = NA, cex = 0.85, title = note, title.col = "grey25",
                   inset = c(0, 0.005), text.width = tw, ...)
  invisible()
}

# The note printed under plots of estimates.
estimates_note <- function(x, what = "estimates") {
  est <- switch(attr(x, "estimator") %||% "ipw",
                ipw = "Weighted for dropout",
                complete_case = "Complete cases only (not weighted)",
                aipw = "Doubly robust (weighted and modelled)",
                "Estimated")
  sprintf("%s; %s with %g%% confidence intervals.", est, what,
          100 * (attr(x, "conf_level") %||% 0.95))
}

pretty_name <- function(x) gsub("_", " ", x)

# Axis for proportions in percent.
percent_axis <- function(side) {
  at <- graphics::axTicks(side)
  graphics::axis(side, at = at, labels = paste0(format(100 * at), "%"),
                 las = 1)
}

series_colours <- function(k) {
  if (k <= 1L) return("#1B5E8C")
  grDevices::hcl.colors(k, "Dark 3")
}

# A forest plot: one row per estimate, top to bottom, with its interval,
# grouped under headers; suppressed rows are labelled as such. `right`
# is optional text printed in the right margin of each row.
forest_plot <- function(labels, est, lo, hi, dots, main, xlab, note,
                        suppressed = rep(FALSE, length(est)),
                        headers = NULL, ref = NULL, right = NULL,
                        col = "#1B5E8C", legend = character(),
                        legend_args = list(), draw = NULL, points = TRUE) {
  k <- length(est)
  headers <- headers %||% rep("", k)
  blocks <- unique(headers)
  # rows from the top, with a blank line before each header
  pos <- numeric(k)
  head_pos <- numeric(length(blocks))
  y <- 0
  for (b in seq_along(blocks)) {
    if (nzchar(blocks[b])) {
      y <- y + 1
      head_pos[b] <- y
    }
    for (i in which(headers == blocks[b])) {
      y <- y + 1
      pos[i] <- y
    }
  }
  total <- y
  at <- total + 1 - pos
  labels <- ifelse(suppressed, paste(labels, "(suppressed)"), labels)
  left <- min(max(nchar(c(labels, blocks))) * 0.5 + 1.5, 22)
  right_mar <- if (length(right)) max(nchar(right)) * 0.45 + 1.5 else 1.1
  old <- figure_begin(1L, below_lines(legend, note), main,
                      mar = c(4.1, left, 1.1, right_mar))
  on.exit(graphics::par(old))
  xl <- range(c(lo, hi, est, ref), na.rm = TRUE, finite = TRUE)
  if (!all(is.finite(xl))) xl <- c(-1, 1)
  plot_frame(dots, xlim = xl, ylim = c(0.5, total + 0.5), yaxt = "n",
             main = "", xlab = xlab, ylab = "")
  figure_title(main)
  if (!is.null(ref)) graphics::abline(v = ref, lty = 2, col = "grey50")
  graphics::axis(2, at = at, labels = labels, las = 1, tick = FALSE,
                 cex.axis = 0.85)
  hb <- nzchar(blocks)
  if (any(hb)) {
    graphics::axis(2, at = total + 1 - head_pos[hb], labels = blocks[hb],
                   las = 1, tick = FALSE, font = 2, cex.axis = 0.9)
  }
  shown <- !suppressed & !is.na(est)
  col <- rep_len(col, k)
  graphics::segments(lo[shown], at[shown], hi[shown], at[shown], lwd = 2,
                     col = col[shown])
  if (points) graphics::points(est[shown], at[shown], pch = 19, col = col[shown])
  if (!is.null(draw)) draw(at, shown)
  if (any(!shown)) {
    usr <- graphics::par("usr")
    graphics::text(mean(usr[1:2]), at[!shown], "suppressed: too few respondents",
                   col = "grey45", font = 3, cex = 0.8)
  }
  if (length(right)) {
    graphics::mtext(right, side = 4, at = at, las = 1, line = 0.4,
                    cex = 0.8, adj = 0, col = "grey25")
  }
  do.call(legend_below, c(list(legend, note), legend_args))
  invisible()
}

# Estimates: means, proportions, changes ---------------------------------------

#' Plots of panelattrition results
#'
#' Every result has a `plot()` method in base graphics (no dependency) and,
#' with ggplot2 installed, an `autoplot()` method returning a ggplot
#' object. Titles, axis labels and limits are ordinary graphical arguments:
#' `plot(m, main = "Wellbeing", xlab = "", ylab = "score", ylim = c(0, 70))`
#' replaces the defaults. In figures of several panels (one per group,
#' wave or category) `main` titles the whole figure. Legends and notes are
#' drawn below the panels. Cells suppressed because they have fewer than
#' `min_n` respondents are marked (a grey cross, or the word "suppressed")
#' and never drawn as zero.
#'
#' The types drawn by each method:
#' * estimate tables from [wave_means()], [panel_change()] and the
#'   `changed` table of [transitions()]: `"trajectory"` (estimates across
#'   waves, one line per group, one panel per category of a categorical
#'   outcome; the default for wave means) and `"points"` (each estimate
#'   with its interval, one row each; the default for change);
#' * [transitions()]: `"bars"` (stacked bars of the status at the later
#'   wave for each status at the earlier one, one panel per group);
#' * [compare_groups()]: `"forest"` (each difference with its interval and
#'   adjusted p-value);
#' * [ipw_gee()] fits: `"coefficients"` (each coefficient but the
#'   intercept with its interval);
#' * [attrition_weights()]: `"weights"` (distribution of the weights at
#'   each wave), `"balance"` (a love plot: the standardised difference from
#'   the baseline sample of every covariate, every level of each factor
#'   included, before and after weighting, on one scale for all waves,
#'   with threshold lines) and `"flow"` (the response flow of its panel);
#' * [tipping_point()]: `"curve"`; [tilt_sensitivity()]: `"curve"`;
#'   [attrition_bounds()]: `"ranges"`;
#' * [sensitivity_summary()]: `"ranges"` (one row per estimate: the MAR
#'   estimate and its interval, the Manski and Lee bounds as bars, a
#'   diamond at the null where the conclusion tips, and the tipping
#'   `delta` and `alpha` on their benchmarked scales at the right);
#' * panels from [panel_data()] and [response_flow()] tables: `"flow"`
#'   (who answered at each wave, of everyone who started, by group);
#' * [replicate_weights()]: `"ess"` (the effective sample size of each
#'   replicate at each wave).
#'
#' @param x,object A result of the package.
#' @param y Unused.
#' @param type What to draw; see above. Anything else is an error of class
#'   `panelattrition_arg_error`.
#' @param threshold For the balance plot: reference lines at plus and
#'   minus this standardised difference.
#' @param which For tipping points: rows of the input table to plot (one
#'   panel each); all by default.
#' @param by For the response flow of a panel: a baseline column whose
#'   groups to show.
#' @param min_n For the response flow of a panel: groups with fewer than
#'   `min_n` respondents at a wave are suppressed.
#' @param ... Graphical arguments: `main`, `xlab`, `ylab`, `xlim`, `ylim`
#'   and others accepted by [graphics::plot()].
#' @return `plot()` returns `x` invisibly; `autoplot()` a ggplot object.
#' @name pa_plots
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' panel <- panel_data(read_waves(files, id = "id"), id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' plot(panel, by = "group")
#' w <- attrition_weights(panel, ~ group + gender + age, monotone = FALSE)
#' plot(w, type = "balance")
#' m <- wave_means(w, "wellbeing", by = "group")
#' plot(m, main = "Wellbeing by programme", ylab = "score (0-70)")
#' plot(compare_groups(m))
NULL

#' @rdname pa_plots
#' @export
plot.pa_estimates <- function(x, y, type = NULL, ...) {
  check_rows_to_plot(x)
  kind <- attr(x, "kind") %||% ""
  if (kind == "transitions") return(plot_transitions(x, type, ...))
  type <- plot_type(type, c("trajectory", "points"),
                    if (kind == "panel_change") "points" else "trajectory")
  d <- estimate_series(x)
  dots <- list(...)
  if (type == "points") {
    head <- if (length(unique(d$panel)) > 1L) d$panel else NULL
    lab <- if (is.null(attr(x, "by"))) d$xlab else
      paste(d$xlab, d$series, sep = ": ")
    if (kind != "panel_change" && length(unique(d$series)) > 1L &&
        is.null(attr(x, "by"))) lab <- paste(d$xlab, d$series, sep = ": ")
    main <- dots$main %||% d$title
    dots$main <- NULL
    forest_plot(lab, d$estimate, d$conf_low, d$conf_high, dots, main,
                xlab = d$ylab, note = estimates_note(x),
                suppressed = d$suppressed, headers = head,
                ref = if (kind == "panel_change") 0 else NULL)
    return(invisible(x))
  }
  panels <- unique(d$panel)
  series <- unique(d$series)
  cols <- series_colours(length(series))
  waves <- unique(d$xlab[order(d$xi)])
  leg <- if (length(series) > 1L) series else character()
  any_supp <- any(d$suppressed)
  legend_text <- c(leg, if (any_supp) "suppressed (too few respondents)")
  main <- dots$main %||% d$title
  dots$main <- NULL
  note <- estimates_note(x)
  old <- figure_begin(length(panels), below_lines(legend_text, note),
                      if (length(panels) > 1L) main)
  on.exit(graphics::par(old))
  shown <- !d$suppressed
  yl <- range(c(d$conf_low[shown], d$conf_high[shown], d$estimate[shown]),
              na.rm = TRUE)
  if (d$proportion) yl <- c(max(0, yl[1] - 0.02), min(1, yl[2] + 0.02))
  off <- if (length(series) > 1L) {
    (seq_along(series) - (length(series) + 1) / 2) *
      min(0.25 / length(series), 0.06)
  } else 0
  for (p in panels) {
    plot_frame(dots, xlim = c(0.7, length(waves) + 0.3), ylim = yl,
               xaxt = "n", yaxt = if (d$proportion) "n" else "s", las = 1,
               main = if (length(panels) > 1L) p else main,
               xlab = "", ylab = d$ylab)
    graphics::axis(1, at = seq_along(waves), labels = waves)
    if (d$proportion) percent_axis(2)
    usr <- graphics::par("usr")
    for (k in seq_along(series)) {
      s <- d$panel == p & d$series == series[k]
      if (!any(s)) next
      ok <- s & shown
      xs <- d$xi[ok] + off[k]
      # lines join consecutive waves only: a gap where a cell is suppressed
      o <- which(s)[order(d$xi[s])]
      graphics::lines(d$xi[o] + off[k], ifelse(shown[o], d$estimate[o], NA),
                      col = cols[k], lwd = 2)
      graphics::segments(xs, d$conf_low[ok], xs, d$conf_high[ok],
                         col = cols[k], lwd = 1.5)
      graphics::points(xs, d$estimate[ok], col = cols[k], pch = 19)
      gone <- s & !shown
      if (any(gone)) {
        graphics::points(d$xi[gone] + off[k],
                         rep(usr[3] + 0.04 * diff(usr[3:4]), sum(gone)),
                         pch = 4, col = "grey45", cex = 1.1)
      }
    }
  }
  if (length(panels) > 1L) figure_title(main)
  legend_below(legend_text, note,
               col = c(cols[seq_along(leg)], if (any_supp) "grey45"),
               pch = c(rep(19, length(leg)), if (any_supp) 4),
               lty = c(rep(1, length(leg)), if (any_supp) NA),
               lwd = 2)
  invisible(x)
}

# The rows of an estimate table as panels, series and positions.
estimate_series <- function(x) {
  df <- as.data.frame(x)
  kind <- attr(x, "kind") %||% ""
  by <- attr(x, "by")
  has_level <- "level" %in% names(df) && !all(is.na(df$level))
  level <- if (has_level) as.character(df$level) else rep(NA, nrow(df))
  outcome <- as.character(df$outcome)
  several <- length(unique(outcome)) > 1L
  if (!is.null(by)) {
    panel <- if (has_level) {
      ifelse(is.na(level), outcome,
             pretty_name(if (several) paste0(outcome, ": ", level) else level))
    } else outcome
    series <- as.character(df[[by]])
  } else {
    panel <- outcome
    series <- pretty_name(if (has_level) ifelse(is.na(level), outcome, level) else outcome)
  }
  wave <- as.character(df$wave)
  xlab <- if ("from" %in% names(df)) {
    paste(as.character(df$from), "to", wave)
  } else wave
  xi <- match(xlab, unique(xlab[order(match(wave, unique(wave)))]))
  proportion <- has_level && all(is.na(df$estimate) |
                                   (df$estimate >= 0 & df$estimate <= 1))
  if (kind == "share changed") proportion <- TRUE
  what <- pretty_name(paste(unique(outcome), collapse = ", "))
  title <- switch(
    kind,
    panel_change = sprintf("Change in %s within the same people", what),
    "share changed" = sprintf("Share whose %s changed", what),
    if (has_level) sprintf("Share in each category of %s", what) else
      sprintf("Average %s at each wave", what)
  )
  ylab <- switch(kind,
                 panel_change = sprintf("change in %s", what),
                 if (proportion) "share of people" else what)
  list(panel = panel, series = series, xlab = xlab, xi = xi,
       estimate = df$estimate, conf_low = df$conf_low,
       conf_high = df$conf_high, suppressed = df$suppressed,
       title = title, ylab = ylab, proportion = proportion)
}

# Transitions ------------------------------------------------------------------

plot_transitions <- function(x, type = NULL, ...) {
  plot_type(type, "bars")
  df <- as.data.frame(x)
  by <- attr(x, "by")
  dots <- list(...)
  groups <- if (is.null(by)) "everyone" else unique(as.character(df[[by]]))
  lv <- levels(df$to_status)
  cols <- grDevices::hcl.colors(length(lv), "Set 2")
  main <- dots$main %||% sprintf("Where people were at %s, by where they were at %s",
                                 df$wave[1], df$from[1])
  dots$main <- NULL
  note <- sprintf("%s; bars add to 100%% of those in each starting status.",
                  sub(";.*", "", estimates_note(x)))
  labs <- gsub(" ", "\n", pretty_name(lv))
  bottom <- 5.1
  legend_text <- c(pretty_name(lv), "suppressed (too few respondents)")
  old <- figure_begin(length(groups), below_lines(legend_text, note),
                      main, mar = c(bottom, 4.1, 2.4, 1.1))
  on.exit(graphics::par(old))
  k <- length(lv)
  for (g in groups) {
    sub <- if (is.null(by)) df else df[as.character(df[[by]]) == g, ]
    plot_frame(dots, xlim = c(0.4, k + 0.6), ylim = c(0, 1), xaxt = "n",
               yaxt = "n", main = g, xlab = "", ylab = "")
    graphics::title(ylab = sprintf("share at %s", df$wave[1]), line = 2.8)
    percent_axis(2)
    graphics::axis(1, at = seq_len(k), labels = labs, tick = FALSE,
                   cex.axis = 0.8, padj = 0.5, line = -0.6)
    graphics::mtext(sprintf("status at %s", df$from[1]), side = 1,
                    line = 3.6, cex = 0.75)
    for (j in seq_len(k)) {
      cell <- sub[as.character(sub$from_status) == lv[j], ]
      cell <- cell[match(lv, as.character(cell$to_status)), ]
      if (all(cell$suppressed) || all(is.na(cell$estimate))) {
        graphics::rect(j - 0.4, 0, j + 0.4, 1, border = "grey60",
                       col = "grey92", density = 12, angle = 45)
        graphics::text(j, 0.5, "suppressed", srt = 90, col = "grey35",
                       cex = 0.8, font = 3)
        next
      }
      tops <- cumsum(ifelse(is.na(cell$estimate), 0, cell$estimate))
      bottoms <- c(0, utils::head(tops, -1))
      graphics::rect(j - 0.4, bottoms, j + 0.4, tops, col = cols,
                     border = "white")
      hid <- which(is.na(cell$estimate))
      if (length(hid)) {
        graphics::rect(j - 0.4, max(tops), j + 0.4, 1, border = "grey60",
                       col = "grey92", density = 12, angle = 45)
      }
    }
  }
  figure_title(main)
  legend_below(legend_text, note, fill = c(cols, "grey92"),
               density = c(rep(NA, k), 25), border = "grey40")
  invisible(x)
}

# A result as a plain data frame, or a classed error when it has no rows.
plot_rows <- function(x, what) {
  df <- x
  class(df) <- "data.frame"
  if (!nrow(df)) {
    pa_abort(sprintf("There is nothing to plot: %s has no rows.", what),
             class = "panelattrition_arg_error", argument = "x")
  }
  df
}

# Group comparisons ------------------------------------------------------------

#' @rdname pa_plots
#' @export
plot.pa_comparison <- function(x, y, type = NULL, ...) {
  plot_type(type, "forest")
  df <- plot_rows(x, "the comparison")
  dots <- list(...)
  head_cols <- intersect(c("outcome", "level", "from", "wave"), names(df))
  headers <- do.call(paste, c(lapply(df[head_cols], as.character), sep = " "))
  headers <- pretty_name(headers)
  p <- df$p_adjusted
  right <- ifelse(is.na(p), "", ifelse(p < 0.001, "p < 0.001",
                                       sprintf("p = %.3f", p)))
  est <- attr(x, "estimates")
  supp_groups <- character()
  if (!is.null(est) && !is.null(attr(x, "by")) && any(est$suppressed)) {
    supp_groups <- unique(as.character(est[[attr(x, "by")]][est$suppressed]))
  }
  note <- sprintf("Differences with %g%% intervals; p-values adjusted (%s).%s",
                  100 * (attr(x, "conf_level") %||% 0.95),
                  attr(x, "adjust") %||% "none",
                  if (length(supp_groups)) {
                    sprintf(" Not compared where suppressed: %s.",
                            paste(supp_groups, collapse = ", "))
                  } else "")
  main <- dots$main %||% sprintf("Differences between groups in %s",
                                 pretty_name(paste(unique(df$outcome),
                                                   collapse = ", ")))
  dots$main <- NULL
  forest_plot(df$contrast, df$estimate, df$conf_low, df$conf_high, dots,
              main, xlab = "difference (first group minus second)",
              note = note, headers = headers, ref = 0, right = right)
  invisible(x)
}

# GEE fits ---------------------------------------------------------------------

#' @rdname pa_plots
#' @export
plot.pa_gee <- function(x, y, type = NULL, ...) {
  plot_type(type, "coefficients")
  b <- x$coefficients
  se <- sqrt(diag(x$vcov))
  keep <- names(b) != "(Intercept)"
  if (!any(keep)) {
    pa_abort("There is nothing to plot: the model has only an intercept.",
             class = "panelattrition_arg_error", argument = "x")
  }
  z <- stats::qnorm(0.975)
  dots <- list(...)
  main <- dots$main %||% sprintf("Model of %s: coefficients",
                                 pretty_name(deparse1(x$formula[[2L]])))
  dots$main <- NULL
  link <- x$family$link
  p <- 2 * stats::pnorm(-abs(b / se))
  right <- ifelse(p < 0.001, "p < 0.001", sprintf("p = %.3f", p))
  forest_plot(readable_terms(names(b), x$xlevels)[keep], b[keep],
              (b - z * se)[keep], (b + z * se)[keep],
              dots, main,
              xlab = sprintf("coefficient (%s scale)", link),
              note = sprintf("%s GEE, %s working correlation; 95%% intervals (%s standard errors).",
                             if (isFALSE(x$weighted)) "Unweighted" else "Attrition-weighted",
                             x$corstr, x$se),
              ref = 0, right = right[keep])
  invisible(x)
}

# Coefficient names as readers say them: "group: collective", not
# "groupcollective" (interactions part by part).
readable_terms <- function(terms, xlevels) {
  one <- function(term) {
    for (v in names(xlevels)) {
      for (l in xlevels[[v]]) {
        if (identical(term, paste0(v, l))) return(paste0(v, ": ", l))
      }
    }
    term
  }
  vapply(terms, function(t) {
    paste(vapply(strsplit(t, ":", fixed = TRUE)[[1L]], one, character(1)),
          collapse = " x ")
  }, character(1), USE.NAMES = FALSE)
}

# Weights and balance ------------------------------------------------------------

#' @rdname pa_plots
#' @export
plot.pa_weights <- function(x, type = c("weights", "balance", "flow"),
                            threshold = 0.1, ...) {
  type <- match_choice(type, c("weights", "balance", "flow"), "type")
  if (type == "flow") {
    plot(response_flow(x$panel), ...)
    return(invisible(x))
  }
  dots <- list(...)
  if (type == "weights") {
    wt <- x$weights
    vals <- lapply(seq_len(ncol(wt)), function(t) wt[!is.na(wt[, t]), t])
    names(vals) <- colnames(wt)
    e <- vapply(vals, function(v) sum(v)^2 / sum(v^2), numeric(1))
    note <- sprintf("Effective sample size: %s.",
                    paste0(names(vals), " ", round(e), " of ",
                           lengths(vals), collapse = "; "))
    old <- figure_begin(1L, below_lines(0L, note))
    on.exit(graphics::par(old))
    args <- utils::modifyList(
      list(x = vals, log = "y", las = 1, col = "#CFE0EE", border = "#1B5E8C",
           main = "How much each respondent counts at each wave",
           xlab = "wave", ylab = "weight (log scale)"), dots)
    do.call(graphics::boxplot, args)
    graphics::abline(h = 1, lty = 3, col = "grey50")
    legend_below(note = note)
    return(invisible(x))
  }
  if (!is.numeric(threshold) || length(threshold) != 1L || is.na(threshold) ||
      threshold <= 0) {
    arg_error("threshold", "a positive number", threshold)
  }
  b <- balance_levels(x)
  waves <- unique(b$wave)
  waves <- waves[waves != x$panel$waves[1] | isTRUE(x$panel$frame_given)]
  if (!length(waves)) {
    pa_abort("There is nothing to plot: no wave after the first has respondents.",
             class = "panelattrition_arg_error", argument = "x")
  }
  b <- b[b$wave %in% waves, ]
  vars <- unique(b$variable)
  k <- length(vars)
  main <- dots$main %||% "Do respondents still look like the baseline sample?"
  dots$main <- NULL
  xl <- range(c(b$smd_unweighted, b$smd_weighted, -threshold, threshold),
              na.rm = TRUE)
  xl <- c(-1, 1) * max(abs(xl)) * 1.05
  note <- sprintf(paste("Standardised difference of respondents from the",
                        "baseline sample; dashed lines at +/-%g."), threshold)
  left <- min(max(nchar(vars)) * 0.5 + 1.2, 20)
  keys <- c("respondents, not weighted", "respondents, weighted")
  old <- figure_begin(length(waves), below_lines(keys, note), main,
                      mar = c(4.1, left, 2.4, 1.1))
  on.exit(graphics::par(old), add = TRUE)
  # side by side, the covariates named once at the left: the first panel is
  # wider by its label margin so that every panel has the same scale
  nw <- length(waves)
  shared <- nw > 1L && nw <= 4L
  if (shared) {
    csi <- graphics::par("csi")
    pw <- (graphics::par("din")[1L] - (left + 1.1) * csi -
             (nw - 1L) * 1.6 * csi) / nw
    graphics::layout(matrix(seq_len(nw), 1L),
                     widths = c(pw + (left + 1.1) * csi,
                                rep(pw + 1.6 * csi, nw - 1L)))
  }
  for (i in seq_along(waves)) {
    wv <- waves[i]
    if (shared && i > 1L) graphics::par(mar = c(4.1, 0.5, 2.4, 1.1))
    bw <- b[b$wave == wv, ]
    at <- k + 1 - match(bw$variable, vars)
    plot_frame(dots, xlim = xl, ylim = c(0.5, k + 0.5), yaxt = "n",
               main = paste("At", wv), xlab = "standardised difference",
               ylab = "")
    graphics::abline(h = seq_len(k), col = "grey93")
    graphics::abline(v = c(-threshold, threshold), lty = 2, col = "grey45")
    graphics::abline(v = 0, col = "grey60")
    if (!shared || i == 1L) {
      graphics::axis(2, at = k + 1 - seq_len(k), labels = vars, las = 1,
                     tick = FALSE, cex.axis = 0.85)
    }
    graphics::segments(bw$smd_unweighted, at, bw$smd_weighted, at,
                       col = "grey75")
    graphics::points(bw$smd_unweighted, at, pch = 21, bg = "white",
                     col = "#B8442C", cex = 1.1)
    graphics::points(bw$smd_weighted, at, pch = 19, col = "#1B5E8C", cex = 1.1)
    if (any(bw$suppressed)) {
      graphics::text(0, at[bw$suppressed], "suppressed", col = "grey45",
                     font = 3, cex = 0.75)
    }
  }
  figure_title(main)
  legend_below(keys, note,
               pch = c(21, 19), col = c("#B8442C", "#1B5E8C"),
               pt.bg = "white")
  invisible(x)
}

# Standardised differences between each wave's respondents and the
# baseline sample for every level of each factor (the reference level
# included, as a love plot shows them) and every numeric covariate. A
# level held by fewer than `min_n` (or all but fewer than `min_n`)
# respondents of a wave is suppressed there: its share would give a count.
balance_levels <- function(w, min_n = getOption("panelattrition.min_n", 5)) {
  rows <- w$baseline_rows
  data <- w$covariates[rows, , drop = FALSE]
  vars <- intersect(all.vars(w$formula), names(data))
  cols <- list()
  is_level <- logical()
  for (v in vars) {
    x <- data[[v]]
    if (is.logical(x)) x <- factor(x, levels = c(FALSE, TRUE))
    if (is.character(x)) x <- factor(x)
    if (is.factor(x)) {
      for (l in levels(x)) {
        cols[[paste0(v, ": ", l)]] <- as.numeric(x == l)
        is_level[paste0(v, ": ", l)] <- TRUE
      }
    } else if (is.numeric(x)) {
      cols[[v]] <- as.numeric(x)
      is_level[v] <- FALSE
    }
  }
  x <- do.call(cbind, cols)
  d <- w$base_weights[rows]
  ok <- stats::complete.cases(x)
  mu0 <- colSums(x[ok, , drop = FALSE] * d[ok]) / sum(d[ok])
  sd0 <- sqrt(colSums(d[ok] * sweep(x[ok, , drop = FALSE], 2, mu0)^2) /
                sum(d[ok]))
  out <- list()
  for (t in seq_along(w$panel$waves)) {
    r <- w$panel$response[rows, t] & ok
    if (!any(r)) next
    xr <- x[r, , drop = FALSE]
    wt <- w$weights[rows[r], t]
    mu_u <- colMeans(xr)
    mu_w <- colSums(xr * wt) / sum(wt)
    count <- colSums(xr)
    small <- is_level[colnames(x)] &
      (count < min_n | (nrow(xr) - count) < min_n) & count > 0
    small <- small | sum(r) < min_n
    out[[t]] <- data.frame(
      wave = w$panel$waves[t], variable = colnames(x),
      smd_unweighted = ifelse(sd0 > 0 & !small, (mu_u - mu0) / sd0, NA_real_),
      smd_weighted = ifelse(sd0 > 0 & !small, (mu_w - mu0) / sd0, NA_real_),
      suppressed = unname(small),
      stringsAsFactors = FALSE
    )
  }
  out <- do.call(rbind, out)
  rownames(out) <- NULL
  out
}

# Sensitivity analyses -----------------------------------------------------------

#' @rdname pa_plots
#' @export
plot.pa_tipping <- function(x, y, which = NULL, type = NULL, ...) {
  plot_type(type, "curve")
  check_rows_to_plot(x)
  tip <- attr(x, "tipping")
  df <- x
  class(df) <- "data.frame"
  n_rows <- nrow(tip)
  per <- nrow(df) / n_rows
  which <- which %||% seq_len(n_rows)
  if (!is.numeric(which) || anyNA(which) || any(which < 1) ||
      any(which > n_rows)) {
    arg_error("which", sprintf("row numbers between 1 and %d", n_rows), which)
  }
  keys <- setdiff(names(tip), c("estimate", "null", "criterion", "conclusion",
                                "tipping_delta", "direction", "note",
                                "outcome"))
  dots <- list(...)
  main <- dots$main %||% sprintf(
    "If people who dropped out differ: %s shifted by delta",
    pretty_name(paste(unique(tip$outcome), collapse = ", ")))
  dots$main <- NULL
  note <- sprintf(paste("delta: how much higher (or lower) the non-respondents'",
                        "%s are than weighting assumes (0 = missing at random)."),
                  pretty_name(attr(x, "scale") %||% "outcome"))
  legend_text <- c("estimate", sprintf("%g%% interval", 100 * (attr(x, "conf_level") %||% 0.95)),
                   "null value", "tipping point")
  old <- figure_begin(length(which), below_lines(legend_text, note), main)
  on.exit(graphics::par(old))
  for (r in which) {
    s <- (r - 1) * per + seq_len(per)
    d <- df[s, ]
    t_r <- tip$tipping_delta[r]
    xl <- range(c(d$delta, t_r), na.rm = TRUE)
    yl <- range(c(d$conf_low, d$conf_high, tip$null[r]), na.rm = TRUE)
    parts <- vapply(setdiff(keys, c("from", "wave")),
                    function(k) as.character(tip[[k]][r]), character(1))
    when <- if ("from" %in% keys) {
      sprintf("%s to %s", tip$from[r], tip$wave[r])
    } else if ("wave" %in% keys) as.character(tip$wave[r])
    title <- paste(c(parts, when), collapse = ", ")
    plot_frame(dots, xlim = xl, ylim = yl, main = title,
               xlab = "delta", ylab = "estimate", las = 1)
    ok <- !is.na(d$conf_low) & !is.na(d$conf_high)
    if (sum(ok) > 1L) {
      graphics::polygon(c(d$delta[ok], rev(d$delta[ok])),
                        c(d$conf_low[ok], rev(d$conf_high[ok])),
                        col = grDevices::adjustcolor("#1B5E8C", 0.2),
                        border = NA)
    }
    graphics::lines(d$delta, d$estimate, lwd = 2, col = "#1B5E8C")
    graphics::abline(h = tip$null[r], lty = 2, col = "grey40")
    graphics::abline(v = 0, lty = 3, col = "grey70")
    if (is.na(tip$estimate[r])) {
      usr <- graphics::par("usr")
      graphics::text(mean(usr[1:2]), mean(usr[3:4]),
                     "suppressed: too few respondents", col = "grey45",
                     font = 3)
    }
    if (!is.na(t_r)) {
      graphics::abline(v = t_r, col = "#B8442C", lwd = 1.5)
      usr <- graphics::par("usr")
      graphics::text(t_r, usr[4], sprintf(" tips at %s", format(signif(t_r, 3))),
                     adj = c(if (t_r > mean(usr[1:2])) 1.05 else -0.05, 1.3),
                     cex = 0.75, col = "#B8442C")
    }
  }
  figure_title(main)
  legend_below(legend_text, note, lwd = c(2, 8, 1, 1.5), lty = c(1, 1, 2, 1),
               col = c("#1B5E8C", grDevices::adjustcolor("#1B5E8C", 0.2),
                       "grey40", "#B8442C"))
  invisible(x)
}

#' @rdname pa_plots
#' @export
plot.pa_tilt <- function(x, y, type = NULL, ...) {
  plot_type(type, "curve")
  check_rows_to_plot(x)
  df <- x
  class(df) <- "data.frame"
  mar <- attr(x, "mar")
  waves <- unique(as.character(df$wave))
  groups <- unique(as.character(df$group))
  cols <- series_colours(length(groups))
  dots <- list(...)
  main <- dots$main %||% sprintf("If answering depends on %s itself",
                                 pretty_name(attr(x, "outcome") %||% "the outcome"))
  dots$main <- NULL
  supp <- unique(as.character(df$group[df$suppressed]))
  note <- sprintf(paste("alpha > 0: people with higher %s answer more often;",
                        "0 = missing at random.%s"),
                  pretty_name(attr(x, "outcome") %||% "values"),
                  if (length(supp)) sprintf(" Suppressed (too few respondents): %s.",
                                            paste(supp, collapse = ", ")) else "")
  leg <- if (length(groups) > 1L) groups else character()
  legend_text <- c(leg, if (!is.null(mar)) "weighted estimate (MAR)")
  old <- figure_begin(length(waves), below_lines(legend_text, note),
                      if (length(waves) > 1L) main)
  on.exit(graphics::par(old))
  ok_all <- !df$suppressed
  yl <- range(c(df$conf_low[ok_all], df$conf_high[ok_all]), na.rm = TRUE)
  if (!all(is.finite(yl))) yl <- c(0, 1)
  for (wv in waves) {
    dw <- df[df$wave == wv, , drop = FALSE]
    plot_frame(dots, xlim = range(df$alpha), ylim = yl, las = 1,
               main = if (length(waves) > 1L) paste("At", wv) else main,
               xlab = "alpha (tilt)", ylab = "estimate")
    graphics::abline(v = 0, lty = 3, col = "grey60")
    for (k in seq_along(groups)) {
      s <- dw$group == groups[k] & !is.na(dw$conf_low)
      if (sum(s) > 1L) {
        graphics::polygon(c(dw$alpha[s], rev(dw$alpha[s])),
                          c(dw$conf_low[s], rev(dw$conf_high[s])),
                          col = grDevices::adjustcolor(cols[k], 0.15),
                          border = NA)
      }
      graphics::lines(dw$alpha[s], dw$estimate[s], col = cols[k], lwd = 2)
      if (!is.null(mar)) {
        m <- mar$estimate[mar$wave == wv & mar$group == groups[k]]
        if (length(m)) graphics::points(0, m[1], pch = 4, col = cols[k], lwd = 2)
      }
    }
  }
  if (length(waves) > 1L) figure_title(main)
  legend_below(legend_text, note,
               col = c(cols[seq_along(leg)], if (!is.null(mar)) "grey30"),
               lwd = c(rep(2, length(leg)), if (!is.null(mar)) 2),
               lty = c(rep(1, length(leg)), if (!is.null(mar)) NA),
               pch = c(rep(NA, length(leg)), if (!is.null(mar)) 4))
  invisible(x)
}

#' @rdname pa_plots
#' @export
plot.pa_bounds <- function(x, y, type = NULL, ...) {
  plot_type(type, "ranges")
  df <- plot_rows(x, "the table")
  dots <- list(...)
  main <- dots$main %||% sprintf("Possible range whatever the dropout: %s",
                                 attr(x, "outcome") %||% "the outcome")
  dots$main <- NULL
  labels <- if ("group" %in% names(df) && !all(is.na(df$group))) {
    as.character(df$group)
  } else rep("everyone", nrow(df))
  headers <- paste("At", df$wave)
  k <- nrow(df)
  note <- "Bounds: nothing assumed about those who did not answer."
  if (identical(attr(x, "assume"), "monotone")) {
    note <- "Bounds: those who did not answer are assumed no more likely to have it."
  }
  legend_text <- c("bounds", sprintf("%g%% interval", 100 * (attr(x, "conf_level") %||% 0.95)),
                   "respondents' share")
  supp <- if ("suppressed" %in% names(df)) df$suppressed else is.na(df$lower)
  dots <- utils::modifyList(list(xlim = c(0, 1), xaxt = "n"), dots)
  draw <- function(at, shown) {
    if (is.null(dots$xaxt) || dots$xaxt == "n") percent_axis(1)
    graphics::segments(df$lower[shown], at[shown], df$upper[shown], at[shown],
                       lwd = 8, col = "#7FA7C9", lend = 1)
    graphics::points(df$mean_observed[shown], at[shown], pch = 21,
                     bg = "white")
  }
  forest_plot(labels, ifelse(supp, NA, df$mean_observed), df$conf_low,
              df$conf_high, dots, main, xlab = "share", note = note,
              suppressed = supp, headers = headers, col = "grey40",
              legend = legend_text, draw = draw, points = FALSE,
              legend_args = list(lwd = c(8, 1, NA), pch = c(NA, NA, 21),
                                 col = c("#7FA7C9", "grey40", "black"),
                                 pt.bg = "white"))
  invisible(x)
}

#' @rdname pa_plots
#' @export
plot.pa_sensitivity_summary <- function(x, y, type = NULL, ...) {
  plot_type(type, "ranges")
  df <- plot_rows(x, "the table")
  lab <- summary_labels(x)
  supp <- df$suppressed %in% TRUE
  dots <- list(...)
  what <- switch(attr(x, "kind") %||% "", differences = "difference",
                 panel_change = "change", "estimate")
  main <- dots$main %||% sprintf("How robust is each %s to dropout?", what)
  dots$main <- NULL
  xlab <- dots$xlab %||% what
  dots$xlab <- NULL
  ok <- !supp
  span <- c(df$conf_low, df$conf_high, df$estimate, df$manski_lower,
            df$manski_upper, df$lee_lower, df$lee_upper, df$null)
  span <- span[rep(ok, length.out = length(span)) & is.finite(span)]
  dots <- utils::modifyList(
    list(xlim = if (length(span)) range(span) else c(-1, 1)), dots)
  has_manski <- any(!is.na(df$manski_lower[ok]))
  has_lee <- any(!is.na(df$lee_lower[ok]))
  tipped <- ok & !is.na(df$null) &
    (!is.na(df$tipping_delta) | !is.na(df$tipping_alpha))
  right <- ifelse(tipped, {
    d <- ifelse(is.na(df$tipping_delta_sd),
                ifelse(is.na(df$tipping_delta), "",
                       sprintf("delta %s log-odds",
                               format_num(df$tipping_delta, 2))),
                sprintf("delta %s SD", format_num(df$tipping_delta_sd, 2)))
    a <- ifelse(is.na(df$tipping_alpha_benchmark),
                ifelse(is.na(df$tipping_alpha), "",
                       sprintf("alpha %s", format_num(df$tipping_alpha, 2))),
                sprintf("alpha %sx", format_num(df$tipping_alpha_benchmark, 2)))
    trimws(paste(d, a, sep = "  "))
  }, "")
  draw <- function(at, shown) {
    if (has_manski) {
      graphics::segments(df$manski_lower[shown], at[shown],
                         df$manski_upper[shown], at[shown], lwd = 9,
                         col = "#C9DCEC", lend = 1)
    }
    if (has_lee) {
      graphics::segments(df$lee_lower[shown], at[shown], df$lee_upper[shown],
                         at[shown], lwd = 5, col = "#E8B27A", lend = 1)
    }
    graphics::segments(df$conf_low[shown], at[shown], df$conf_high[shown],
                       at[shown], lwd = 2, col = "#1B5E8C")
    graphics::points(df$estimate[shown], at[shown], pch = 19, col = "#1B5E8C")
    tip <- shown & tipped
    graphics::points(df$null[tip], at[tip], pch = 23, bg = "#D1495B",
                     col = "grey20", cex = 1.2)
  }
  legend_text <- c(
    sprintf("MAR estimate, %g%% interval",
            100 * (attr(x, "conf_level") %||% 0.95)),
    if (has_manski) "Manski bounds", if (has_lee) "Lee bounds",
    if (any(tipped)) "null: where it tips (right: how much MNAR)")
  legend_args <- list(
    lwd = c(2, if (has_manski) 9, if (has_lee) 5, if (any(tipped)) NA),
    pch = c(19, if (has_manski) NA, if (has_lee) NA, if (any(tipped)) 23),
    col = c("#1B5E8C", if (has_manski) "#C9DCEC", if (has_lee) "#E8B27A",
            if (any(tipped)) "grey20"),
    pt.bg = c(NA, if (has_manski) NA, if (has_lee) NA,
              if (any(tipped)) "#D1495B"))
  note <- paste("Right: the tipping delta (shift of the dropouts' values,",
                "in SDs of the outcome; log-odds for proportions) and alpha",
                "(\"x\": as a multiple of the previous outcome's effect on",
                "answering).")
  forest_plot(lab$label, ifelse(supp, NA, df$estimate), df$conf_low,
              df$conf_high, dots, main, xlab = xlab, note = note,
              suppressed = supp, headers = lab$header,
              ref = unique(df$null[!is.na(df$null)]), right = right,
              legend = legend_text, legend_args = legend_args, draw = draw,
              points = FALSE)
  invisible(x)
}
