//! Reading a whole listing of a cluster's jobs, page by page, within bounds.
//!
//! `list jobs` answers one page at a time ([`LIST_PAGE_SIZE`] jobs, `offset` being the page
//! number from 1). A server is not trusted to end a listing: it may claim any `total_record`,
//! ignore `offset`, or send pages of jobs with 80 KB names. So a listing stops at
//! [`MAX_LIST_PAGES`] pages or [`MAX_LIST_BYTES`] bytes of answers, with a "more than the provider
//! reads" error (`TooLarge`) that says to narrow the selection, and on a page that repeats the
//! first, with an "unexpected response". How many pages are
//! read at once follows from the first page's size ([`pages_at_once`]), so that one listing
//! never has more than about [`LIST_BYTES_IN_FLIGHT`] of answers on the way.

use std::collections::HashSet;
use std::time::Instant;

use futures::StreamExt;
use tokio::sync::mpsc::Sender;

use super::api::{Api, Args};
use super::error::{ApiError, ApiErrorKind};
use super::model::{JobDetail, JobFilter};
use super::operations::{LIST_JOBS_PAGE, LIST_PAGE_SIZE, ListPage};

/// Pages read before a listing is given up as endless (100 000 jobs).
pub const MAX_LIST_PAGES: usize = 1_000;
/// Bytes of answers one listing reads, all its pages together: 12 MiB. An ordinary job takes
/// about 1 KB of a listing, so this is some 12 000 jobs, far more than a selection meant to be
/// killed; jobs with huge names (60–80 KB, chosen by whoever submits them) reach it within
/// two pages. `mrs_jobs_kill` runs five listings at once and keeps their results until the plan
/// is made, and the provider is to stay under 100 MiB: five listings at the bound are ~63 MB
/// of answers on a base of ~25 MiB. A listing past the bound is refused rather than held.
pub const MAX_LIST_BYTES: usize = 12 * 1024 * 1024;
/// Bytes of answers one listing may have on the way at once: the pages after the first are read
/// as many at a time as fit, by the first page's size (see [`pages_at_once`]).
pub const LIST_BYTES_IN_FLIGHT: usize = 4 * 1024 * 1024;
/// Most pages of one listing read at the same time, however small they are.
pub const LIST_PAGES_AT_ONCE: usize = 8;

/// How many pages of a listing are read at once when its first page took `first_page_bytes`:
/// as many as fit in [`LIST_BYTES_IN_FLIGHT`], at least 1 and at most [`LIST_PAGES_AT_ONCE`].
pub fn pages_at_once(first_page_bytes: usize) -> usize {
    (LIST_BYTES_IN_FLIGHT / first_page_bytes.max(1)).clamp(1, LIST_PAGES_AT_ONCE)
}

/// Every job of `cluster_id` that passes `filter`, reading every page. The first page tells
/// `total_record`; the pages after it are read [`pages_at_once`] at a time, then on one by one
/// while pages come back full (jobs arrived meanwhile), until a short page. A job that moves
/// from one page to the next while the pages are read (a new job pushes the list down) is kept
/// once.
pub(super) async fn list_jobs(
    api: &Api,
    project_id: &str,
    cluster_id: &str,
    filter: &JobFilter,
    deadline: Instant,
    page_sink: Option<&Sender<Vec<JobDetail>>>,
) -> Result<Vec<JobDetail>, ApiError> {
    let operation = format!("list jobs on cluster {cluster_id}");
    let filters = filter.query();
    let limit = LIST_PAGE_SIZE.to_string();
    let page_of = |page: usize| {
        let filters = &filters;
        let limit = &limit;
        async move {
            let page_text = page.to_string();
            let mut query: Vec<(&str, &str)> =
                filters.iter().map(|(k, v)| (*k, v.as_str())).collect();
            query.push(("limit", limit));
            query.push(("offset", &page_text));
            let args = Args {
                query,
                ..Args::values(&[("project_id", project_id), ("cluster_id", cluster_id)])
            };
            api.call(&LIST_JOBS_PAGE, args, deadline).await
        }
    };
    let first = page_of(1).await?;
    let total = first.total;
    let most = (MAX_LIST_PAGES * LIST_PAGE_SIZE) as u64;
    if total > most {
        return Err(ApiError::new(
            ApiErrorKind::TooLarge,
            &operation,
            format!(
                "total_record is {total}, more than the {most} jobs a listing reads; narrow the filters"
            ),
        ));
    }
    let mut listing = Listing {
        operation: &operation,
        cluster_id,
        first_ids: first.jobs.iter().map(|j| j.job_id.clone()).collect(),
        jobs: Vec::new(),
        seen: HashSet::new(),
        bytes: 0,
        pages: 0,
        last_count: 0,
    };
    let at_once = pages_at_once(first.bytes);
    listing.keep(1, first, page_sink).await?;
    let known_pages =
        usize::try_from(total.div_ceil(LIST_PAGE_SIZE as u64)).unwrap_or(MAX_LIST_PAGES);
    let mut next = 2;
    if listing.last_count == LIST_PAGE_SIZE && known_pages >= 2 {
        let mut pages = futures::stream::iter(2..=known_pages.min(MAX_LIST_PAGES))
            .map(|page| {
                let read = page_of(page);
                async move { (page, read.await) }
            })
            .buffered(at_once);
        while let Some((page, answer)) = pages.next().await {
            listing.keep(page, answer?, page_sink).await?;
            next = page + 1;
            if listing.last_count < LIST_PAGE_SIZE {
                break;
            }
        }
    }
    while listing.last_count == LIST_PAGE_SIZE {
        if next > MAX_LIST_PAGES {
            return Err(ApiError::new(
                ApiErrorKind::TooLarge,
                &operation,
                format!(
                    "MRS kept returning full pages for {MAX_LIST_PAGES} pages ({} jobs); narrow the filters",
                    listing.jobs.len()
                ),
            ));
        }
        listing.keep(next, page_of(next).await?, page_sink).await?;
        next += 1;
    }
    Ok(listing.jobs)
}

/// What a listing has read so far.
struct Listing<'a> {
    operation: &'a str,
    cluster_id: &'a str,
    /// The first page's job IDs, to spot a server that ignores `offset`.
    first_ids: Vec<Option<String>>,
    jobs: Vec<JobDetail>,
    seen: HashSet<String>,
    /// Bytes of answers read, all pages together.
    bytes: usize,
    /// Pages read.
    pages: usize,
    /// Jobs on the last page read.
    last_count: usize,
}

impl Listing<'_> {
    /// Takes page number `page` in, and hands the jobs it adds to `pages` (when a caller acts
    /// on them while later pages are read).
    async fn keep(
        &mut self,
        page: usize,
        read: ListPage,
        pages: Option<&Sender<Vec<JobDetail>>>,
    ) -> Result<(), ApiError> {
        let before = self.jobs.len();
        self.add(page, read).map_err(|refused| *refused)?;
        if let Some(pages) = pages
            && self.jobs.len() > before
        {
            // A caller that stopped listening does not stop the listing.
            let _ = pages.send(self.jobs[before..].to_vec()).await;
        }
        Ok(())
    }

    /// Adds the page's jobs not seen before, or refuses the page (boxed: the error is large,
    /// and rare): past the byte bound, or repeating page 1.
    fn add(&mut self, page: usize, read: ListPage) -> Result<(), Box<ApiError>> {
        self.bytes = self.bytes.saturating_add(read.bytes);
        self.pages += 1;
        if self.bytes > MAX_LIST_BYTES {
            return Err(Box::new(ApiError::new(
                ApiErrorKind::TooLarge,
                self.operation,
                format!(
                    "the listing of cluster {} is larger than the {} MiB of \
                     answers one listing reads ({} bytes in {} pages so far, {} jobs); narrow the \
                     selection (job_name, user, job_type or another filter) so fewer jobs match",
                    self.cluster_id,
                    MAX_LIST_BYTES / (1024 * 1024),
                    self.bytes,
                    self.pages,
                    self.jobs.len() + read.jobs.len(),
                ),
            )));
        }
        if page > 1
            && !read.jobs.is_empty()
            && read.jobs.len() == self.first_ids.len()
            && read
                .jobs
                .iter()
                .map(|j| &j.job_id)
                .eq(self.first_ids.iter())
        {
            return Err(Box::new(ApiError::new(
                ApiErrorKind::Decode,
                self.operation,
                format!(
                    "unexpected response: page {page} of the listing repeats page 1 (is offset ignored?)"
                ),
            )));
        }
        self.last_count = read.jobs.len();
        for job in read.jobs {
            let fresh = match &job.job_id {
                Some(id) => self.seen.insert(id.clone()),
                None => true,
            };
            if fresh {
                self.jobs.push(job);
            }
        }
        Ok(())
    }
}
