"""The campaign's reports: 附件7 demand summary, 附件8 activity statistics, 附件9 graduate employment."""
