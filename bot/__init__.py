"""faqbot: a French FAQ assistant about the DCI, the ASI network and the SSI of Nouakchott."""

__version__ = "0.1.0"
