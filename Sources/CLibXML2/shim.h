#pragma once
#include <string.h>
#include <libxml/xmlversion.h>
// libxml2's headers would pull in the system ICU, which clashes with the ICU that Foundation
// bundles. We use no encoding handler by value, so the ICU members are not needed here.
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>

// XML_SAX2_MAGIC is a macro Swift imports with the wrong type.
static const unsigned int gssa_xml_sax2_magic = XML_SAX2_MAGIC;

// Gives a context made by xmlCreateMemoryParserCtxt our SAX handler and user data, the way
// xmlSAXUserParseMemory does internally. The handler is copied into libxml2's allocator, so
// xmlFreeParserCtxt frees it. Returns -1 when out of memory.
static inline int gssa_xml_install_sax(xmlParserCtxtPtr ctxt, const xmlSAXHandler *sax, void *user) {
    xmlSAXHandler *copy = (xmlSAXHandler *) xmlMalloc(sizeof(xmlSAXHandler));
    if (copy == NULL) return -1;
    memcpy(copy, sax, sizeof(xmlSAXHandler));
    if (ctxt->sax != NULL && ctxt->sax != (xmlSAXHandlerPtr) &xmlDefaultSAXHandler) xmlFree(ctxt->sax);
    ctxt->sax = copy;
    ctxt->userData = user;
    return 0;
}
