import QtQuick
import QtQuick.Controls

// A button with a touch target of at least 48 px and its text as the accessible name.
Button {
    implicitHeight: Math.max(48, implicitContentHeight + topPadding + bottomPadding)
    implicitWidth: Math.max(48, implicitContentWidth + leftPadding + rightPadding)
    Accessible.name: text
}
