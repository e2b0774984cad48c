# ggplot2 versions of the plots (ggplot2 is only suggested). Each method
# builds a plain data frame and returns a ggplot object that users can
# restyle with the usual + layers; suppressed cells appear as labelled
# crosses, not as gaps.

need_ggplot2 <- function(fn) {
  if (!requireNamespace("ggplot2", quietly = TRUE)) {
    pa_abort(sprintf("%s(): the ggplot2 package is needed; install it with install.packages(\"ggplot2\"), or use plot().",
                     fn),
             class = "panelattrition_dependency_error")
  }
}

gg_theme <- function() {
  ggplot2::theme_minimal(base_size = 11) +
    ggplot2::theme(legend.position = "bottom",
                   plot.title.position = "plot",
                   panel.grid.minor = ggplot2::element_blank())
}

gg_forest <- function(d, main, xlab, note, ref = NULL) {
  .data <- ggplot2::.data
  # rows keyed by header and label, shown by label alone
  key <- paste(d$header %||% "", d$label, sep = "\r")
  d$label <- factor(key, levels = rev(unique(key)))
  p <- ggplot2::ggplot(d, ggplot2::aes(y = .data$label)) +
    ggplot2::scale_y_discrete(labels = function(v) sub(".*\r", "", v))
  if (!is.null(ref)) p <- p + ggplot2::geom_vline(xintercept = ref, linetype = 2, colour = "grey50")
  shown <- d[!d$suppressed, , drop = FALSE]
  p <- p + ggplot2::geom_errorbarh(data = shown,
                                   ggplot2::aes(xmin = .data$conf_low, xmax = .data$conf_high),
                                   height = 0, colour = "#1B5E8C", linewidth = 0.8) +
    ggplot2::geom_point(data = shown, ggplot2::aes(x = .data$estimate), colour = "#1B5E8C")
  if (any(d$suppressed)) {
    p <- p + ggplot2::geom_text(data = d[d$suppressed, , drop = FALSE],
                                ggplot2::aes(x = mean(range(c(shown$conf_low, shown$conf_high), na.rm = TRUE)),
                                             label = "suppressed: too few respondents"),
                                colour = "grey45", fontface = "italic", size = 3)
  }
  if ("header" %in% names(d) && length(unique(d$header)) > 1L) {
    p <- p + ggplot2::facet_grid(header ~ ., scales = "free_y", space = "free_y")
  }
  p + ggplot2::labs(title = main, x = xlab, y = NULL, caption = note) + gg_theme()
}

#' @rdname pa_plots
#' @exportS3Method ggplot2::autoplot
autoplot.pa_estimates <- function(object, ...) {
  need_ggplot2("autoplot")
  .data <- ggplot2::.data
  x <- object
  kind <- attr(x, "kind") %||% ""
  if (kind == "transitions") {
    df <- as.data.frame(x)
    by <- attr(x, "by")
    df$group <- if (is.null(by)) "everyone" else as.character(df[[by]])
    df$status <- pretty_name(as.character(df$to_status))
    df$from_status <- pretty_name(as.character(df$from_status))
    supp <- stats::aggregate(suppressed ~ group + from_status, df, all)
    p <- ggplot2::ggplot(df[!is.na(df$estimate), ],
                         ggplot2::aes(x = .data$from_status, y = .data$estimate, fill = .data$status)) +
      ggplot2::geom_col() +
      ggplot2::facet_wrap(~group) +
      ggplot2::scale_y_continuous(labels = function(v) paste0(100 * v, "%"), limits = c(0, 1))
    if (any(supp$suppressed)) {
      p <- p + ggplot2::geom_text(data = supp[supp$suppressed, ], inherit.aes = FALSE,
                                  ggplot2::aes(x = .data$from_status, y = 0.5, label = "suppressed"),
                                  angle = 90, colour = "grey45", fontface = "italic", size = 3)
    }
    return(p + ggplot2::labs(title = sprintf("Where people were at %s, by where they were at %s", df$wave[1], df$from[1]),
                             x = sprintf("status at %s", df$from[1]), y = "share", fill = NULL,
                             caption = estimates_note(x)) + gg_theme())
  }
  d <- as.data.frame(estimate_series(x)[c("panel", "series", "xlab", "xi", "estimate",
                                          "conf_low", "conf_high", "suppressed")])
  s <- estimate_series(x)
  if (kind == "panel_change") {
    d$label <- paste(d$xlab, d$series, sep = ": ")
    d$header <- d$panel
    return(gg_forest(d, s$title, s$ylab, estimates_note(x), ref = 0))
  }
  d$xlab <- factor(d$xlab, levels = unique(d$xlab[order(d$xi)]))
  shown <- d[!d$suppressed, , drop = FALSE]
  dodge <- ggplot2::position_dodge(width = 0.25)
  p <- ggplot2::ggplot(shown, ggplot2::aes(x = .data$xlab, y = .data$estimate,
                                           colour = .data$series, group = .data$series)) +
    ggplot2::geom_line(position = dodge) +
    ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$conf_low, ymax = .data$conf_high),
                             position = dodge)
  if (any(d$suppressed)) {
    p <- p + ggplot2::geom_point(data = d[d$suppressed, , drop = FALSE],
                                 ggplot2::aes(y = min(shown$conf_low, na.rm = TRUE)),
                                 shape = 4, colour = "grey45", position = dodge)
  }
  if (length(unique(d$panel)) > 1L) p <- p + ggplot2::facet_wrap(~panel)
  if (s$proportion) p <- p + ggplot2::scale_y_continuous(labels = function(v) paste0(100 * v, "%"))
  p + ggplot2::labs(title = s$title, x = NULL, y = s$ylab, colour = NULL,
                    caption = paste(estimates_note(x),
                                    if (any(d$suppressed)) "Crosses: suppressed cells (too few respondents)." else "")) +
    gg_theme()
}

#' @rdname pa_plots
#' @exportS3Method ggplot2::autoplot
autoplot.pa_comparison <- function(object, ...) {
  need_ggplot2("autoplot")
  df <- object
  class(df) <- "data.frame"
  head_cols <- intersect(c("outcome", "level", "from", "wave"), names(df))
  d <- data.frame(label = df$contrast, estimate = df$estimate,
                  conf_low = df$conf_low, conf_high = df$conf_high,
                  suppressed = FALSE,
                  header = pretty_name(do.call(paste, lapply(df[head_cols], as.character))))
  gg_forest(d, "Differences between groups", "difference (first group minus second)",
            sprintf("%g%% intervals", 100 * (attr(object, "conf_level") %||% 0.95)), ref = 0)
}

#' @rdname pa_plots
#' @exportS3Method ggplot2::autoplot
autoplot.pa_gee <- function(object, ...) {
  need_ggplot2("autoplot")
  t <- tidy.pa_gee(object, conf.int = TRUE)
  t <- t[t$term != "(Intercept)", , drop = FALSE]
  d <- data.frame(label = t$term, estimate = t$estimate, conf_low = t$conf.low,
                  conf_high = t$conf.high, suppressed = FALSE)
  gg_forest(d, sprintf("Model of %s: coefficients", deparse1(object$formula[[2L]])),
            sprintf("coefficient (%s scale)", object$family$link), "95% intervals", ref = 0)
}

#' @rdname pa_plots
#' @exportS3Method ggplot2::autoplot
autoplot.pa_weights <- function(object, type = c("weights", "balance"), threshold = 0.1, ...) {
  need_ggplot2("autoplot")
  .data <- ggplot2::.data
  type <- match_choice(type, c("weights", "balance"), "type")
  if (type == "weights") {
    wt <- object$weights
    d <- data.frame(wave = factor(rep(colnames(wt), each = nrow(wt)), levels = colnames(wt)),
                    weight = as.vector(wt))
    d <- d[!is.na(d$weight), ]
    return(ggplot2::ggplot(d, ggplot2::aes(x = .data$wave, y = .data$weight)) +
             ggplot2::geom_boxplot(fill = "#CFE0EE", colour = "#1B5E8C") +
             ggplot2::scale_y_log10() +
             ggplot2::labs(title = "How much each respondent counts at each wave",
                           x = "wave", y = "weight (log scale)") + gg_theme())
  }
  b <- balance_levels(object)
  waves <- unique(b$wave)
  b <- b[b$wave %in% waves[waves != object$panel$waves[1] | isTRUE(object$panel$frame_given)], ]
  d <- rbind(data.frame(b[c("wave", "variable")], smd = b$smd_unweighted, which = "not weighted"),
             data.frame(b[c("wave", "variable")], smd = b$smd_weighted, which = "weighted"))
  d$variable <- factor(d$variable, levels = rev(unique(b$variable)))
  ggplot2::ggplot(d, ggplot2::aes(x = .data$smd, y = .data$variable, colour = .data$which,
                                  shape = .data$which)) +
    ggplot2::geom_vline(xintercept = c(-threshold, threshold), linetype = 2, colour = "grey45") +
    ggplot2::geom_vline(xintercept = 0, colour = "grey60") +
    ggplot2::geom_point(size = 2.2) +
    ggplot2::scale_shape_manual(values = c("not weighted" = 21, weighted = 19)) +
    ggplot2::scale_colour_manual(values = c("not weighted" = "#B8442C", weighted = "#1B5E8C")) +
    ggplot2::facet_wrap(~wave, nrow = 1) +
    ggplot2::labs(title = "Do respondents still look like the baseline sample?",
                  x = "standardised difference from the baseline sample", y = NULL,
                  colour = "respondents", shape = "respondents") + gg_theme()
}

#' @rdname pa_plots
#' @exportS3Method ggplot2::autoplot
autoplot.pa_tipping <- function(object, ...) {
  need_ggplot2("autoplot")
  .data <- ggplot2::.data
  tip <- attr(object, "tipping")
  df <- object
  class(df) <- "data.frame"
  per <- nrow(df) / nrow(tip)
  keys <- setdiff(names(tip), c("estimate", "null", "criterion", "conclusion",
                                "tipping_delta", "direction", "note", "outcome"))
  lab <- do.call(paste, c(lapply(tip[keys], as.character), sep = " "))
  df$panel <- rep(lab, each = per)
  tip$panel <- lab
  ggplot2::ggplot(df, ggplot2::aes(x = .data$delta, y = .data$estimate)) +
    ggplot2::geom_ribbon(ggplot2::aes(ymin = .data$conf_low, ymax = .data$conf_high),
                         fill = "#1B5E8C", alpha = 0.2) +
    ggplot2::geom_line(colour = "#1B5E8C", linewidth = 1) +
    ggplot2::geom_hline(data = tip, ggplot2::aes(yintercept = .data$null), linetype = 2) +
    ggplot2::geom_vline(data = tip[!is.na(tip$tipping_delta), ],
                        ggplot2::aes(xintercept = .data$tipping_delta), colour = "#B8442C") +
    ggplot2::facet_wrap(~panel, scales = "free") +
    ggplot2::labs(title = "If people who dropped out differ: estimates shifted by delta",
                  x = "delta (0 = missing at random)", y = "estimate",
                  caption = "Red line: the tipping point.") + gg_theme()
}

#' @rdname pa_plots
#' @exportS3Method ggplot2::autoplot
autoplot.pa_tilt <- function(object, ...) {
  need_ggplot2("autoplot")
  .data <- ggplot2::.data
  df <- object
  class(df) <- "data.frame"
  df$group <- as.character(df$group)
  df <- df[!df$suppressed, , drop = FALSE]
  ggplot2::ggplot(df, ggplot2::aes(x = .data$alpha, y = .data$estimate, colour = .data$group,
                                   fill = .data$group)) +
    ggplot2::geom_ribbon(ggplot2::aes(ymin = .data$conf_low, ymax = .data$conf_high),
                         alpha = 0.15, colour = NA) +
    ggplot2::geom_line(linewidth = 1) +
    ggplot2::geom_vline(xintercept = 0, linetype = 3) +
    ggplot2::facet_wrap(~wave) +
    ggplot2::labs(title = sprintf("If answering depends on %s itself", attr(object, "outcome") %||% "the outcome"),
                  x = "alpha (tilt; 0 = missing at random)", y = "estimate",
                  colour = NULL, fill = NULL) + gg_theme()
}

#' @rdname pa_plots
#' @exportS3Method ggplot2::autoplot
autoplot.pa_bounds <- function(object, ...) {
  need_ggplot2("autoplot")
  .data <- ggplot2::.data
  df <- object
  class(df) <- "data.frame"
  df$label <- if ("group" %in% names(df)) as.character(df$group) else "everyone"
  df$suppressed <- df$suppressed %||% is.na(df$lower)
  shown <- df[!df$suppressed, , drop = FALSE]
  p <- ggplot2::ggplot(df, ggplot2::aes(y = .data$label)) +
    ggplot2::geom_errorbarh(data = shown, ggplot2::aes(xmin = .data$conf_low, xmax = .data$conf_high),
                            height = 0, colour = "grey40") +
    ggplot2::geom_errorbarh(data = shown, ggplot2::aes(xmin = .data$lower, xmax = .data$upper),
                            height = 0, colour = "#7FA7C9", linewidth = 4) +
    ggplot2::geom_point(data = shown, ggplot2::aes(x = .data$mean_observed), shape = 21, fill = "white")
  if (any(df$suppressed)) {
    p <- p + ggplot2::geom_text(data = df[df$suppressed, ], ggplot2::aes(x = 0.5, label = "suppressed"),
                                colour = "grey45", fontface = "italic", size = 3)
  }
  p + ggplot2::facet_grid(wave ~ .) +
    ggplot2::scale_x_continuous(limits = c(0, 1), labels = function(v) paste0(100 * v, "%")) +
    ggplot2::labs(title = sprintf("Possible range whatever the dropout: %s", attr(object, "outcome") %||% ""),
                  x = "share", y = NULL,
                  caption = "Thick bar: bounds; thin line: interval; circle: respondents' share.") +
    gg_theme()
}

#' @rdname pa_plots
#' @exportS3Method ggplot2::autoplot
autoplot.pa_flow <- function(object, ...) {
  need_ggplot2("autoplot")
  .data <- ggplot2::.data
  df <- object
  class(df) <- "data.frame"
  df$group <- factor(df$group, levels = rev(unique(df$group)))
  df$wave <- factor(df$wave, levels = unique(df$wave))
  df$label <- ifelse(df$suppressed, "suppressed",
                     sprintf("%s\n%.0f%%", format(df$answered, big.mark = ","), df$percent))
  ggplot2::ggplot(df, ggplot2::aes(x = .data$wave, y = .data$group)) +
    ggplot2::geom_tile(ggplot2::aes(fill = .data$percent), colour = "white", linewidth = 1) +
    ggplot2::geom_text(ggplot2::aes(label = .data$label), size = 3.2) +
    ggplot2::scale_fill_gradient(low = "#EEF3F8", high = "#7FA7C9", na.value = "grey90",
                                 limits = c(0, 100), name = "% of starters") +
    ggplot2::labs(title = "Who answered at each wave", x = NULL, y = NULL) + gg_theme()
}

#' @rdname pa_plots
#' @exportS3Method ggplot2::autoplot
autoplot.pa_panel <- function(object, by = NULL, ...) {
  autoplot.pa_flow(response_flow(object, by = by))
}

#' @rdname pa_plots
#' @exportS3Method ggplot2::autoplot
autoplot.pa_sensitivity_summary <- function(object, ...) {
  need_ggplot2("autoplot")
  .data <- ggplot2::.data
  df <- object
  class(df) <- "data.frame"
  lab <- summary_labels(object)
  key <- paste(lab$header, lab$label, sep = "\r")
  df$label <- factor(key, levels = rev(unique(key)))
  df$header <- factor(lab$header, levels = unique(lab$header))
  df$suppressed <- df$suppressed %in% TRUE
  shown <- df[!df$suppressed, , drop = FALSE]
  what <- switch(attr(object, "kind") %||% "", differences = "difference",
                 panel_change = "change", "estimate")
  p <- ggplot2::ggplot(df, ggplot2::aes(y = .data$label)) +
    ggplot2::scale_y_discrete(labels = function(v) sub(".*\r", "", v))
  nulls <- unique(df$null[!is.na(df$null)])
  if (length(nulls)) {
    p <- p + ggplot2::geom_vline(xintercept = nulls, linetype = 2,
                                 colour = "grey50")
  }
  manski <- shown[!is.na(shown$manski_lower), , drop = FALSE]
  if (nrow(manski)) {
    p <- p + ggplot2::geom_errorbarh(
      data = manski, ggplot2::aes(xmin = .data$manski_lower,
                                  xmax = .data$manski_upper),
      height = 0, colour = "#C9DCEC", linewidth = 4)
  }
  lee <- shown[!is.na(shown$lee_lower), , drop = FALSE]
  if (nrow(lee)) {
    p <- p + ggplot2::geom_errorbarh(
      data = lee, ggplot2::aes(xmin = .data$lee_lower, xmax = .data$lee_upper),
      height = 0, colour = "#E8B27A", linewidth = 2.2)
  }
  p <- p + ggplot2::geom_errorbarh(
    data = shown, ggplot2::aes(xmin = .data$conf_low, xmax = .data$conf_high),
    height = 0, colour = "#1B5E8C", linewidth = 0.8) +
    ggplot2::geom_point(data = shown, ggplot2::aes(x = .data$estimate),
                        colour = "#1B5E8C")
  tip <- shown[!is.na(shown$null) & (!is.na(shown$tipping_delta) |
                                       !is.na(shown$tipping_alpha)), ,
               drop = FALSE]
  if (nrow(tip)) {
    p <- p + ggplot2::geom_point(data = tip, ggplot2::aes(x = .data$null),
                                 shape = 23, fill = "#D1495B", size = 2.5)
  }
  if (any(df$suppressed)) {
    mid <- mean(range(c(shown$conf_low, shown$conf_high, 0), na.rm = TRUE))
    p <- p + ggplot2::geom_text(
      data = df[df$suppressed, , drop = FALSE],
      ggplot2::aes(x = mid, label = "suppressed: too few respondents"),
      colour = "grey45", fontface = "italic", size = 3)
  }
  if (length(levels(df$header)) > 1L) {
    p <- p + ggplot2::facet_grid(header ~ ., scales = "free_y",
                                 space = "free_y")
  }
  p + ggplot2::labs(
    title = sprintf("How robust is each %s to dropout?", what),
    x = what, y = NULL,
    caption = paste("Dot and line: MAR estimate and interval; wide bar:",
                    "Manski bounds; narrower bar: Lee bounds; diamond: the",
                    "null, where the conclusion tips.")) +
    gg_theme()
}
